"""Parameterised BipedalWalker environments: Stump Tracks and Hexagon Tracks.

Importing the package registers ``"StumpTracks-v1"`` and ``"HexagonTracks-v1"`` with
gymnasium (string entry points: Box2D loads only when an environment is made). They
reproduce the paper's environments (teachDeepRL's parameterised BipedalWalker) step for
step; the ``-v0`` versions are gone (see :data:`REMOVED_IDS`)::

    import gymnasium as gym
    import envs

    env = gym.make("StumpTracks-v1", walker="quadruped")
    obs, info = env.reset(seed=0, options={"task": {"stump_height": 1.2, "obstacle_spacing": 3.0}})
    track = env.unwrapped.track  # explicit geometry: replay it with options={"track": track}

Task spaces (:func:`task_bounds`), test sets (:func:`test_set`) and mastery thresholds
need neither Box2D nor an environment instance.
"""

from __future__ import annotations

from typing import Any

from gymnasium.envs.registration import register, registry

from envs._recording import RecordedEpisode, record_episode
from envs._replay import Replay, replay
from envs._tasks import ENV_IDS, MASTERY_THRESHOLD, REMOVED_IDS, TaskSpec, task_spec
from envs._test_sets import generate_test_set, test_set, test_set_names
from envs._track import Track, hexagon_track, obstacle_starts, stump_track
from envs._walkers import WALKERS, WalkerSpec, walker_spec
from envs.errors import (
    InvalidEnvTaskError,
    UnknownEnvironmentError,
    UnknownTestSetError,
    UnknownWalkerError,
)

__all__ = [
    "ENV_IDS",
    "MASTERY_THRESHOLD",
    "MAX_EPISODE_STEPS",
    "WALKERS",
    "HexagonTracksEnv",
    "InvalidEnvTaskError",
    "ParametricWalkerEnv",
    "REMOVED_IDS",
    "RecordedEpisode",
    "Replay",
    "StumpTracksEnv",
    "TaskSpec",
    "Track",
    "UnknownEnvironmentError",
    "UnknownTestSetError",
    "UnknownWalkerError",
    "WalkerSpec",
    "default_task",
    "generate_test_set",
    "hexagon_track",
    "mastery_threshold",
    "obstacle_starts",
    "record_episode",
    "replay",
    "stump_track",
    "task_bounds",
    "task_names",
    "task_spec",
    "test_set",
    "test_set_names",
    "walker_spec",
]

#: Episode cap of the registered environments (the paper's; stock BipedalWalker uses 1600).
MAX_EPISODE_STEPS = 2000

_ENTRY_POINTS = (
    ("StumpTracks-v1", "envs._stump:StumpTracksEnv"),
    ("HexagonTracks-v1", "envs._hexagon:HexagonTracksEnv"),
)


def task_bounds(env_id: str) -> dict[str, tuple[float, float]]:
    """Mapping parameter name -> (low, high), in canonical order, for ``env_id``."""
    return task_spec(env_id).bounds()


def task_names(env_id: str) -> tuple[str, ...]:
    """Parameter names of ``env_id`` in canonical order."""
    return task_spec(env_id).names


def default_task(env_id: str) -> dict[str, float]:
    """The task an environment uses before any task is set."""
    return task_spec(env_id).default_task()


def mastery_threshold(env_id: str) -> float:
    """Episode return above which a task of ``env_id`` counts as mastered (230)."""
    return task_spec(env_id).mastery_threshold


def _register() -> None:
    for env_id, entry_point in _ENTRY_POINTS:
        if env_id not in registry:
            register(
                id=env_id,
                entry_point=entry_point,
                max_episode_steps=MAX_EPISODE_STEPS,
                reward_threshold=mastery_threshold(env_id),
            )


_register()


def __getattr__(name: str) -> Any:
    # The environment classes import Box2D: load them on first use only.
    if name == "StumpTracksEnv":
        from envs._stump import StumpTracksEnv

        return StumpTracksEnv
    if name == "HexagonTracksEnv":
        from envs._hexagon import HexagonTracksEnv

        return HexagonTracksEnv
    if name == "ParametricWalkerEnv":
        from envs._base import ParametricWalkerEnv

        return ParametricWalkerEnv
    raise AttributeError(f"module 'envs' has no attribute {name!r}")
