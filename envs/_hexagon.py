"""Hexagon Tracks: identical obstacles whose six vertices the task moves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from envs._base import ParametricWalkerEnv
from envs._geometry import convex_pieces
from envs._tasks import HEXAGON_TRACKS, TaskSpec
from envs._terrain import FINISH_X, OBSTACLES_START, STEP, build_obstacles

__all__ = ["DEFAULT_HEXAGON", "HEXAGON_SPACING", "HexagonTracksEnv", "hexagon_outline"]

#: Vertices of the default hexagon, terrain steps, (6, 2); vertices 0 and 5 on the ground.
DEFAULT_HEXAGON = np.array(
    [(-0.5, 0.0), (-0.5, 0.25), (-0.25, 0.5), (0.25, 0.5), (0.5, 0.25), (0.5, 0.0)]
)
HEXAGON_SPACING = 8.0  # terrain steps of flat ground between consecutive obstacles
_MOVES_UP = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # ground vertices only slide along x


def hexagon_outline(offsets: Sequence[float] | np.ndarray) -> np.ndarray:
    """Outline of the obstacle for offsets (dx0, dy0, ..., dx5, dy5), in terrain steps.

    Vertex i is ``DEFAULT_HEXAGON[i] + (dx_i, dy_i)``, except that dy0 and dy5 are
    ignored so the first and last vertices stay on the ground.

    Returns:
        array (6, 2), terrain steps, relative to the default hexagon's centre on the ground.
    """
    moves = np.array(offsets, dtype=np.float64).reshape(6, 2)  # a copy: edited below
    moves[:, 1] *= _MOVES_UP
    outline: np.ndarray = DEFAULT_HEXAGON + moves
    return outline


class HexagonTracksEnv(ParametricWalkerEnv):
    """Hexagon Tracks (``"HexagonTracks-v0"``): task (dx0, dy0, ..., dx5, dy5) in [0, 4].

    Every obstacle of a track has the outline :func:`hexagon_outline` gives, scaled to
    metres; ``HEXAGON_SPACING`` steps of flat ground separate consecutive obstacles, the
    first one starting after the start pad. Outlines that are not convex become several
    convex fixtures on one static body (see :mod:`envs._geometry`). Default task: all
    zeros (the default hexagon). No randomness: the task fixes the track.
    """

    task_spec: ClassVar[TaskSpec] = HEXAGON_TRACKS

    def _build_obstacles(self, task: dict[str, float]) -> list[Any]:
        outline = hexagon_outline([task[n] for n in self.task_names]) * STEP
        pieces = convex_pieces(outline)
        if not pieces:
            return []
        left = min(float(p[:, 0].min()) for p in pieces)
        right = max(float(p[:, 0].max()) for p in pieces)
        width = right - left
        local = [p - np.array([left, 0.0]) for p in pieces]  # body origin at the left edge
        pitch = width + HEXAGON_SPACING * STEP
        n = int((FINISH_X - width - OBSTACLES_START) // pitch) + 1
        return build_obstacles(self.world, (OBSTACLES_START + pitch * np.arange(n)).tolist(), local)
