"""Run one episode open-loop on an explicit track: fixed evaluation tracks, replays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._tasks import task_spec
from envs._track import Track

__all__ = ["Replay", "replay"]


@dataclass(frozen=True)
class Replay:
    """What :func:`replay` observed.

    Attributes:
        observations: (n + 1, observation_dim) float64: the reset observation, then one
            per action taken.
        rewards: (n,) float64.
        terminated: (n,) bool; only the last can be True (the replay stops there).
    """

    observations: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray

    @property
    def episode_return(self) -> float:
        """Sum of the rewards."""
        return float(self.rewards.sum())


def replay(
    env_id: str,
    track: Track | dict[str, Any],
    actions: np.ndarray,
    *,
    push: float = 0.0,
    walker: str = "default",
    **env_kwargs: Any,
) -> Replay:
    """Play ``actions`` open-loop on ``track`` after the initial ``push``.

    Same physics as ``gymnasium.make(env_id)``, with float64 observations (the values the
    reference environment returns). No randomness is involved: the result depends on the
    arguments only.

    Args:
        env_id: ``"StumpTracks-v1"`` or ``"HexagonTracks-v1"``.
        track: the geometry (:class:`~envs.Track` or its ``to_dict()``).
        actions: (n, action_dim) motor commands in [-1, 1]; the replay stops early if the
            episode terminates.
        push: initial horizontal force on the hull, newtons.
        walker: one of ``envs.WALKERS``.
        env_kwargs: other environment arguments (``lidar``, ``foot_contact``).

    Raises:
        UnknownEnvironmentError, UnknownWalkerError, ValueError.
    """
    spec = task_spec(env_id)
    from envs._hexagon import HexagonTracksEnv  # Box2D: imported on use
    from envs._stump import StumpTracksEnv

    env_class = StumpTracksEnv if spec.env_id.startswith("Stump") else HexagonTracksEnv
    env = env_class(walker=walker, observation_dtype="float64", **env_kwargs)
    moves = np.asarray(actions, dtype=np.float64)
    if moves.ndim != 2 or moves.shape[1] != env.walker.action_dim:
        raise ValueError(f"actions must have shape (n, {env.walker.action_dim}), got {moves.shape}")
    try:
        obs, _ = env.reset(options={"track": track, "push": push})
        observations, rewards, ends = [obs], [], []
        for action in moves:
            obs, reward, terminated, _, _ = env.step(action)
            observations.append(obs)
            rewards.append(reward)
            ends.append(terminated)
            if terminated:
                break
    finally:
        env.close()
    return Replay(
        observations=np.array(observations, dtype=np.float64),
        rewards=np.array(rewards, dtype=np.float64),
        terminated=np.array(ends, dtype=bool),
    )
