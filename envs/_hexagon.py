"""Hexagon Tracks: obstacles whose six vertices the task moves, with per-vertex noise."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from envs._base import ParametricWalkerEnv
from envs._tasks import HEXAGON_TRACKS, TaskSpec
from envs._track import (
    HEXAGON_ADVANCE,
    HEXAGON_GAP,
    HEXAGON_NOISE_STD,
    Track,
    hexagon_track,
    obstacle_starts,
)

__all__ = ["HexagonTracksEnv"]

_N_HEXAGONS = len(obstacle_starts(HEXAGON_ADVANCE, HEXAGON_GAP)[0])


class HexagonTracksEnv(ParametricWalkerEnv):
    """Hexagon Tracks (``"HexagonTracks-v1"``): task (dx0, dy0, ..., dx5, dy5) in [0, 4].

    Every obstacle starts from the default hexagon (vertices (-0.5, 0), (-0.5, 0.25),
    (-0.25, 0.5), (0.25, 0.5), (0.5, 0.25), (0.5, 0) terrain steps around its anchor) and
    moves vertex i by (dx_i, dy_i) plus noise N(0, 0.1) steps drawn anew for each obstacle
    (from the environment's seeded generator); vertices 0 and 5 stay on the ground (dy0
    and dy5 are not used). Box2D keeps the convex hull of the six points. Anchors stand at
    9.333 + 9k m, 10 per track. Default task: all zeros (the default hexagon).
    """

    task_spec: ClassVar[TaskSpec] = HEXAGON_TRACKS

    def _generate_track(self, task: dict[str, float]) -> Track:
        offsets = np.array([task[n] for n in self.task_names]).reshape(6, 2)
        draws = self.np_random.normal(offsets, HEXAGON_NOISE_STD, size=(_N_HEXAGONS, 6, 2))
        return hexagon_track(draws)
