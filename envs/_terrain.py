"""Track layout shared by the environments: flat ground, obstacle bodies, track marks.

Distances reuse gymnasium's BipedalWalker constants so that rewards and the camera keep
their stock meaning: the track is ``TERRAIN_LENGTH`` terrain steps of ``TERRAIN_STEP``
metres at height ``TERRAIN_HEIGHT``; obstacles start after the ``TERRAIN_STARTPAD`` and
stop before the finish line, ``TERRAIN_GRASS`` steps before the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from Box2D.b2 import edgeShape, fixtureDef, polygonShape
from gymnasium.envs.box2d.bipedal_walker import (
    FRICTION,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STARTPAD,
    TERRAIN_STEP,
)

from envs._bodies import GROUND_CATEGORY

__all__ = [
    "FINISH_X",
    "GROUND_TAG",
    "GROUND_Y",
    "OBSTACLES_START",
    "OBSTACLE_TAG",
    "STEP",
    "TRACK_END",
    "build_ground",
    "build_obstacles",
    "build_stumps",
]

STEP = TERRAIN_STEP  # metres per terrain step (14/30)
GROUND_Y = TERRAIN_HEIGHT  # metres
TRACK_END = (TERRAIN_LENGTH - 1) * TERRAIN_STEP  # metres, right end of the ground
FINISH_X = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP  # hull past this: episode won
OBSTACLES_START = TERRAIN_STARTPAD * TERRAIN_STEP  # metres, left edge of the first obstacle

GROUND_TAG = "ground"  # userData of the ground body
OBSTACLE_TAG = "obstacle"  # userData of every obstacle body

_GROUND_LINE = (76, 230, 76)
_GROUND_FILL = (102, 153, 76)
_OBSTACLE_COLORS = ((255, 255, 255), (153, 153, 153))
_FILL_CHUNK = 10 * TERRAIN_STEP  # render fill in chunks so off-screen ones are culled


def build_ground(world: Any) -> tuple[Any, list[tuple[list[tuple[float, float]], Any]]]:
    """Create the flat ground: one static body with one edge along the whole track.

    Returns:
        (body, fill) where fill is the render list of (polygon, colour) under the ground
        line, in the format gymnasium's BipedalWalker.render() draws ``terrain_poly``.
    """
    ground = world.CreateStaticBody(
        fixtures=fixtureDef(
            shape=edgeShape(vertices=[(0.0, GROUND_Y), (TRACK_END, GROUND_Y)]),
            friction=FRICTION,
            categoryBits=GROUND_CATEGORY,
        ),
        userData=GROUND_TAG,
    )
    ground.color1 = ground.color2 = _GROUND_LINE
    fill = []
    for x0 in np.arange(0.0, TRACK_END, _FILL_CHUNK).tolist():
        x1 = min(x0 + _FILL_CHUNK, TRACK_END)
        fill.append(([(x0, GROUND_Y), (x1, GROUND_Y), (x1, 0.0), (x0, 0.0)], _GROUND_FILL))
    return ground, fill


def build_obstacles(world: Any, xs: Sequence[float], pieces: Sequence[np.ndarray]) -> list[Any]:
    """Create identical obstacles: static bodies at (x, ground), one fixture per piece.

    Args:
        world: the ``Box2D.b2World``.
        xs: body origin of each obstacle along the track, metres.
        pieces: convex polygons (k, 2), 3 <= k <= 8, in metres relative to the origin.
    """
    fixtures = [
        fixtureDef(
            shape=polygonShape(vertices=[tuple(p) for p in piece.tolist()]),
            friction=FRICTION,
            categoryBits=GROUND_CATEGORY,
        )
        for piece in pieces
    ]
    bodies = []
    for x in xs:
        body = world.CreateStaticBody(
            position=(x, GROUND_Y), fixtures=fixtures, userData=OBSTACLE_TAG
        )
        body.color1, body.color2 = _OBSTACLE_COLORS
        bodies.append(body)
    return bodies


def build_stumps(
    world: Any, xs: Sequence[float], width: float, heights: Sequence[float]
) -> list[Any]:
    """Create rectangular stumps standing on the ground (the hot path of a reset).

    Args:
        xs: left edge of each stump, metres.
        width: stump width, metres.
        heights: height of each stump, metres (same length as ``xs``).
    """
    half = width / 2
    fd = fixtureDef(
        shape=polygonShape(box=(half, half)), friction=FRICTION, categoryBits=GROUND_CATEGORY
    )
    bodies = []
    for x, h in zip(xs, heights, strict=True):
        fd.shape.SetAsBox(half, h / 2, (half, h / 2), 0.0)
        body = world.CreateStaticBody(position=(x, GROUND_Y), fixtures=fd, userData=OBSTACLE_TAG)
        body.color1, body.color2 = _OBSTACLE_COLORS
        bodies.append(body)
    return bodies
