"""Stump Tracks: stumps whose mean height and spacing the task sets."""

from __future__ import annotations

from typing import ClassVar

from envs._base import ParametricWalkerEnv
from envs._tasks import STUMP_TRACKS, TaskSpec
from envs._track import (
    MIN_SPACING,
    STEP,
    STUMP_HEIGHT_STD,
    Track,
    obstacle_starts,
    stump_track,
)

__all__ = ["StumpTracksEnv"]


class StumpTracksEnv(ParametricWalkerEnv):
    """Stump Tracks (``"StumpTracks-v1"``): task (stump_height, obstacle_spacing).

    ``stump_height`` in [0, 3] is the mean stump height in terrain steps (14/30 m): each
    stump is ``max(0.05, N(stump_height, 0.1))`` steps high and one step wide.
    ``obstacle_spacing`` in [0, 6] is the flat gap after each stump in **metres** (floor
    0.01), so stumps stand every ``14/30 + spacing`` m from the end of the start pad
    (9.333 m) while x < 93.33 m, past the finish line. Default task: stump_height 0.0,
    obstacle_spacing 6.0. See :class:`~envs._base.ParametricWalkerEnv` for the arguments.
    """

    task_spec: ClassVar[TaskSpec] = STUMP_TRACKS

    def _generate_track(self, task: dict[str, float]) -> Track:
        spacing = task["obstacle_spacing"]
        n = len(obstacle_starts(STEP, max(MIN_SPACING, spacing))[0])
        draws = self.np_random.normal(task["stump_height"], STUMP_HEIGHT_STD, size=n)
        return stump_track(spacing, draws.tolist())
