"""Track geometry: what a task and the generator's random draws turn into.

Pure Python and NumPy (no Box2D), so tracks can be generated, saved and compared without
a physics engine. A :class:`Track` is explicit geometry in metres, world frame: the ground
polyline and one polygon per obstacle, each as the vertex list handed to Box2D (which
keeps their convex hull). :mod:`envs._terrain` builds it into a world.

The generator follows the reference environment's rules, with the same floating-point
operations in the same order, so that the same draws give bit-identical vertices:

* the start pad is flat ground from x = 0 to ``OBSTACLES_START`` (9.333 m);
* from there obstacles and flat gaps alternate while x < ``TRACK_END`` (93.33 m): an
  obstacle advances x by its ``advance`` (one terrain step for a stump, 1 m for a
  hexagon), a gap by ``gap`` metres;
* the ground polyline holds 0, ``OBSTACLES_START``, then the x where each obstacle or gap
  began: it stops at the last of them (so it can end before the finish line, e.g. at
  87.4 m for stumps spaced 6 m), and its second edge has zero length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_HEXAGON",
    "FINISH_X",
    "GROUND_Y",
    "HEXAGON_ADVANCE",
    "HEXAGON_GAP",
    "HEXAGON_NOISE_STD",
    "MIN_SPACING",
    "MIN_STUMP_HEIGHT",
    "OBSTACLES_START",
    "STEP",
    "STUMP_HEIGHT_STD",
    "TRACK_END",
    "Track",
    "hexagon_track",
    "obstacle_starts",
    "stump_track",
]

STEP = 14 / 30.0  # metres per terrain step
GROUND_Y = 400 / 30.0 / 4  # metres, height of the flat ground
OBSTACLES_START = STEP * 20  # metres: end of the start pad
TRACK_END = 200 * STEP  # metres: obstacles start while x is below this
FINISH_X = (200 - 10) * STEP  # metres: the hull past this ends the episode (won)

MIN_STUMP_HEIGHT = 0.05  # terrain steps: floor of every stump's height
STUMP_HEIGHT_STD = 0.1  # terrain steps: spread of stump heights around the mean
MIN_SPACING = 0.01  # metres: floor of the flat gap after each stump

#: Vertices of the default hexagon, terrain steps, (6, 2); vertices 0 and 5 on the ground.
DEFAULT_HEXAGON = ((-0.5, 0), (-0.5, 0.25), (-0.25, 0.5), (0.25, 0.5), (0.5, 0.25), (0.5, 0))
HEXAGON_NOISE_STD = 0.1  # terrain steps: per-vertex noise of every hexagon
HEXAGON_ADVANCE = 1.0  # metres the generator moves on after a hexagon
HEXAGON_GAP = 8.0  # metres of flat ground after that

_MAX_VERTICES = 8  # Box2D polygons


@dataclass(frozen=True)
class Track:
    """Explicit geometry of one track, metres, world frame.

    Attributes:
        ground: vertices (x, y) of the ground polyline, left to right; one static edge
            per consecutive pair (zero-length edges included, as generated).
        obstacles: per obstacle, in creation order (left to right), the polygon's vertices
            (x, y) as given to Box2D (3 to 8 points; Box2D keeps their convex hull).
    """

    ground: tuple[tuple[float, float], ...]
    obstacles: tuple[tuple[tuple[float, float], ...], ...]

    def __post_init__(self) -> None:
        if len(self.ground) < 2:
            raise ValueError(f"track ground needs at least 2 points, got {len(self.ground)}")
        for i, point in enumerate(self.ground):
            _check_point(f"track ground[{i}]", point)
        for k, polygon in enumerate(self.obstacles):
            if not 3 <= len(polygon) <= _MAX_VERTICES:
                raise ValueError(
                    f"track obstacles[{k}] must have 3 to {_MAX_VERTICES} vertices, "
                    f"got {len(polygon)}"
                )
            for i, point in enumerate(polygon):
                _check_point(f"track obstacles[{k}][{i}]", point)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Track:
        """A track from :meth:`to_dict`'s output (e.g. read back from JSON).

        Raises:
            ValueError: a key is missing or a value is not a list of finite (x, y) points.
        """
        if not isinstance(data, Mapping) or not {"ground", "obstacles"} <= set(data):
            raise ValueError(
                f"a track must be a mapping with 'ground' and 'obstacles', got {data!r:.200}"
            )
        try:
            ground = tuple(_point(p) for p in data["ground"])
            obstacles = tuple(tuple(_point(p) for p in poly) for poly in data["obstacles"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"track points must be pairs of numbers: {exc}") from None
        return cls(ground=ground, obstacles=obstacles)

    def to_dict(self) -> dict[str, list[Any]]:
        """``{"ground": [[x, y], ...], "obstacles": [[[x, y], ...], ...]}`` (JSON-ready)."""
        return {
            "ground": [list(p) for p in self.ground],
            "obstacles": [[list(p) for p in poly] for poly in self.obstacles],
        }

    @classmethod
    def from_reference(cls, terrain: Mapping[str, Any]) -> Track:
        """The track of a reference trace case's ``terrain`` record.

        Stumps are rebuilt from their left edge and ``height_steps`` (one terrain step
        wide, as the reference makes them); hexagons from ``vertices_passed``.
        """
        ground = tuple(
            (float(x), float(y))
            for x, y in zip(terrain["ground_polyline_x"], terrain["ground_polyline_y"], strict=True)
        )
        y = float(terrain["ground_y"])
        obstacles: list[tuple[tuple[float, float], ...]] = []
        for stump in terrain.get("stumps", ()):
            obstacles.append(_stump_polygon(float(stump["x"]), y, float(stump["height_steps"])))
        for hexagon in terrain.get("hexagons", ()):
            obstacles.append(tuple(_point(p) for p in hexagon["vertices_passed"]))
        return cls(ground=ground, obstacles=tuple(obstacles))


def _point(p: Any) -> tuple[float, float]:
    x, y = p
    return float(x), float(y)


def _check_point(label: str, point: Any) -> None:
    if (
        not isinstance(point, tuple)
        or len(point) != 2
        or not all(isinstance(v, float) and math.isfinite(v) for v in point)
    ):
        raise ValueError(f"{label} must be a pair of finite floats (x, y), got {point!r}")


def obstacle_starts(advance: float, gap: float) -> tuple[list[float], list[float]]:
    """Where obstacles start, and the ground polyline's x, by the generator's loop.

    Args:
        advance: metres x moves on over an obstacle.
        gap: metres of flat ground after each obstacle.

    Returns:
        (starts, ground_x): obstacle x positions (left to right) and the polyline x.
    """
    x = OBSTACLES_START
    ground_x = [0.0, x]
    starts: list[float] = []
    obstacle_next = True
    while x < TRACK_END:
        ground_x.append(x)
        if obstacle_next:
            starts.append(x)
            x += advance
        else:
            x += gap
        obstacle_next = not obstacle_next
    return starts, ground_x


def _stump_polygon(x: float, y: float, height_steps: float) -> tuple[tuple[float, float], ...]:
    top = y + height_steps * STEP
    return ((x, y), (x + STEP, y), (x + STEP, top), (x, top))


def stump_track(obstacle_spacing: float, height_draws: Sequence[float] | np.ndarray) -> Track:
    """A Stump Tracks track from its spacing and the stumps' height draws.

    Args:
        obstacle_spacing: metres of flat ground after each stump (floored at 0.01).
        height_draws: per stump, the raw draw N(stump_height, 0.1), terrain steps; as many
            as ``len(obstacle_starts(STEP, spacing)[0])`` (extra draws are not used).
            Each stump's height is ``max(0.05, draw)`` steps.

    Raises:
        ValueError: fewer draws than stumps.
    """
    starts, ground_x = obstacle_starts(STEP, max(MIN_SPACING, obstacle_spacing))
    if len(height_draws) < len(starts):
        raise ValueError(
            f"height_draws has {len(height_draws)} values, the track has {len(starts)} stumps"
        )
    obstacles = tuple(
        _stump_polygon(x, GROUND_Y, max(MIN_STUMP_HEIGHT, float(h)))
        for x, h in zip(starts, height_draws, strict=False)
    )
    return Track(ground=tuple((x, GROUND_Y) for x in ground_x), obstacles=obstacles)


def hexagon_track(vertex_draws: np.ndarray) -> Track:
    """A Hexagon Tracks track from the hexagons' vertex draws.

    Args:
        vertex_draws: array (n, 6, 2), terrain steps: per hexagon and vertex, the drawn
            offset (dx, dy) ~ N(task offset, 0.1). Vertex i of hexagon k sits at
            anchor_k + DEFAULT_HEXAGON[i] + draw, except that vertices 0 and 5 stay on the
            ground (their dy is not used). n must be at least the number of anchors (10).

    Raises:
        ValueError: wrong shape or too few hexagons.
    """
    draws = np.asarray(vertex_draws, dtype=np.float64)
    starts, ground_x = obstacle_starts(HEXAGON_ADVANCE, HEXAGON_GAP)
    if draws.ndim != 3 or draws.shape[1:] != (6, 2) or len(draws) < len(starts):
        raise ValueError(f"vertex_draws must have shape ({len(starts)}, 6, 2), got {draws.shape}")
    y = GROUND_Y
    obstacles = []
    for x, draw in zip(starts, draws.tolist(), strict=False):
        polygon = []
        for i, ((bx, by), (dx, dy)) in enumerate(zip(DEFAULT_HEXAGON, draw, strict=True)):
            vx = x + bx * STEP + dx * STEP
            vy = y + by * STEP if i in (0, 5) else y + by * STEP + dy * STEP
            polygon.append((vx, vy))
        obstacles.append(tuple(polygon))
    return Track(ground=tuple((x, GROUND_Y) for x in ground_x), obstacles=tuple(obstacles))
