"""Write one episode to a GIF or MP4, to see what a walker faces on a task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from envs._tasks import TaskLike, task_spec

__all__ = ["RecordedEpisode", "record_episode"]

_FPS = 50  # simulation steps per second (gymnasium BipedalWalker's FPS)
_SUFFIXES = (".gif", ".mp4")

#: A policy maps an observation (observation_dim,) to an action (action_dim,); a tuple
#: result (e.g. ``stable_baselines3`` ``model.predict``) contributes its first element.
Policy = Callable[[np.ndarray], Any]


@dataclass(frozen=True)
class RecordedEpisode:
    """What :func:`record_episode` wrote.

    Attributes:
        path: the video file.
        steps: environment steps taken.
        frames: frames written (the reset frame, then one every ``frame_skip`` steps).
        episode_return: sum of rewards.
        terminated: True if the episode ended by falling or finishing (not by the cap).
        task: the task in effect, name -> value.
    """

    path: Path
    steps: int
    frames: int
    episode_return: float
    terminated: bool
    task: dict[str, float]


def _writer(path: Path, frame_skip: int) -> Any:
    import imageio.v2 as imageio  # imported here: optional and slow to import

    if path.suffix.lower() == ".gif":
        return imageio.get_writer(path, mode="I", duration=1000.0 * frame_skip / _FPS, loop=0)
    # 600 x 400 frames are multiples of 8: no resize needed for yuv420p encoders.
    return imageio.get_writer(path, fps=_FPS / frame_skip, macro_block_size=8)


def record_episode(
    env_id: str,
    task: TaskLike | None,
    path: str | Path,
    *,
    policy: Policy | None = None,
    walker: str = "default",
    max_steps: int | None = None,
    seed: int = 0,
    frame_skip: int = 1,
) -> RecordedEpisode:
    """Run one episode with ``render_mode="rgb_array"`` and write its frames to ``path``.

    Args:
        env_id: ``"StumpTracks-v1"`` or ``"HexagonTracks-v1"``.
        task: the task (mapping name -> value, or values in canonical order); None for
            the environment's default task.
        path: output file, ``.gif`` or ``.mp4`` (MP4 needs ``imageio-ffmpeg``). GIF frames
            are held in memory until the end: use ``frame_skip`` / ``max_steps`` for long
            episodes.
        policy: observation -> action; None for uniformly random actions (seeded).
        walker: walker body, one of ``envs.WALKERS``.
        max_steps: episode cap; None keeps the registered one (2000).
        seed: seeds the reset (terrain, initial push) and the random actions.
        frame_skip: write one frame every ``frame_skip`` steps (the video plays in real
            time either way).

    Raises:
        UnknownEnvironmentError, UnknownWalkerError, InvalidEnvTaskError, ValueError.
    """
    task_spec(env_id)  # fail on an unknown id before creating anything
    target = Path(path)
    if target.suffix.lower() not in _SUFFIXES:
        raise ValueError(f"path must end in .gif or .mp4, got {str(target)!r}")
    for label, number in (("max_steps", max_steps), ("frame_skip", frame_skip)):
        bad = isinstance(number, bool) or not isinstance(number, int) or number < 1
        if number is not None and bad:
            raise ValueError(f"{label} must be a positive integer, got {number!r}")

    limit: dict[str, Any] = {} if max_steps is None else {"max_episode_steps": max_steps}
    env = gym.make(env_id, render_mode="rgb_array", walker=walker, **limit)
    try:
        options = None if task is None else {"task": task}
        obs, info = env.reset(seed=seed, options=options)
        env.action_space.seed(seed)
        writer = _writer(target, frame_skip)
        try:
            writer.append_data(env.render())
            frames, steps, total = 1, 0, 0.0
            terminated = truncated = False
            while not (terminated or truncated):
                if policy is None:
                    action = env.action_space.sample()
                else:
                    action = policy(obs)
                    if isinstance(action, tuple):
                        action = action[0]
                obs, reward, terminated, truncated, info = env.step(action)
                total += float(reward)
                steps += 1
                if steps % frame_skip == 0 or terminated or truncated:
                    writer.append_data(env.render())
                    frames += 1
        finally:
            writer.close()
    finally:
        env.close()
    return RecordedEpisode(
        path=target,
        steps=steps,
        frames=frames,
        episode_return=total,
        terminated=bool(terminated),
        task=dict(info["task"]),
    )
