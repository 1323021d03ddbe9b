"""Stump Tracks: rectangular stumps whose mean height and spacing the task sets."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from envs._base import ParametricWalkerEnv
from envs._tasks import STUMP_TRACKS, TaskSpec
from envs._terrain import FINISH_X, OBSTACLES_START, STEP, build_stumps

__all__ = ["MIN_SPACING", "MIN_STUMP_HEIGHT", "STUMP_HEIGHT_STD", "StumpTracksEnv", "stump_layout"]

MIN_STUMP_HEIGHT = 0.05  # terrain steps: floor of every stump's height
STUMP_HEIGHT_STD = 0.1  # terrain steps: spread of stump heights around the mean
MIN_SPACING = 0.01  # terrain steps: floor of the flat gap between stumps
STUMP_WIDTH = 1.0  # terrain steps


def stump_layout(
    stump_height: float, obstacle_spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and heights of the stumps of one track.

    Stumps are ``STUMP_WIDTH`` wide and separated by ``max(MIN_SPACING, obstacle_spacing)``
    of flat ground, from ``OBSTACLES_START`` until the finish line; each height is
    ``max(MIN_STUMP_HEIGHT, N(stump_height, STUMP_HEIGHT_STD))``.

    Args:
        stump_height: mean stump height, terrain steps.
        obstacle_spacing: flat distance between consecutive stumps, terrain steps.
        rng: the environment's generator (draws one normal per stump).

    Returns:
        (xs, heights): left edges and heights of the n stumps, metres, shape (n,) each.
    """
    width = STUMP_WIDTH * STEP
    pitch = width + max(MIN_SPACING, obstacle_spacing) * STEP
    n = int((FINISH_X - width - OBSTACLES_START) // pitch) + 1
    xs = OBSTACLES_START + pitch * np.arange(n)
    heights = np.maximum(MIN_STUMP_HEIGHT, rng.normal(stump_height, STUMP_HEIGHT_STD, size=n))
    return xs, heights * STEP


class StumpTracksEnv(ParametricWalkerEnv):
    """Stump Tracks (``"StumpTracks-v0"``): task (stump_height, obstacle_spacing).

    ``stump_height`` in [0, 3] is the mean stump height and ``obstacle_spacing`` in [0, 6]
    the flat gap between stumps, both in terrain steps (14/30 m); stumps are one step wide.
    Default task: stump_height 0.0, obstacle_spacing 6.0. See
    :class:`~envs._base.ParametricWalkerEnv` for the arguments.
    """

    task_spec: ClassVar[TaskSpec] = STUMP_TRACKS

    def _build_obstacles(self, task: dict[str, float]) -> list[Any]:
        xs, heights = stump_layout(task["stump_height"], task["obstacle_spacing"], self.np_random)
        return build_stumps(self.world, xs.tolist(), STUMP_WIDTH * STEP, heights.tolist())
