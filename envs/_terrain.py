"""Build a :class:`~envs._track.Track` into a Box2D world.

Creation order matters to Box2D (it decides proxy and contact order, hence the order in
which the solver and the ray casts meet fixtures): obstacles first, left to right, then
the ground edges left to right, each a static body at the origin with world-frame
vertices, as the reference environment creates them.
"""

from __future__ import annotations

from typing import Any

from Box2D.b2 import edgeShape, fixtureDef, polygonShape

from envs._bodies import GROUND_CATEGORY
from envs._track import Track

__all__ = ["FRICTION", "GROUND_TAG", "OBSTACLE_TAG", "build_track"]

FRICTION = 2.5  # of every terrain fixture

GROUND_TAG = "ground"  # userData of every ground edge body
OBSTACLE_TAG = "obstacle"  # userData of every obstacle body

_GROUND_COLORS = ((76, 255, 76), (76, 204, 76))  # alternating edge colours
_GROUND_FILL = (102, 153, 76)
_OBSTACLE_COLORS = ((255, 255, 255), (153, 153, 153))

#: Render list entry: (polygon points, colour), as gymnasium's BipedalWalker draws it.
FillPolygon = tuple[list[tuple[float, float]], tuple[int, int, int]]


def build_track(world: Any, track: Track) -> tuple[list[Any], list[Any], list[FillPolygon]]:
    """Create the track's static bodies in ``world``.

    Returns:
        (obstacles, edges, fill): the obstacle bodies, the ground edge bodies, and the
        render fill under the ground line (one quadrilateral per edge).

    Raises:
        ValueError: Box2D rejects an obstacle polygon (e.g. all its points on a line).
    """
    polygon_fd = fixtureDef(
        shape=polygonShape(vertices=[(0, 0), (1, 0), (1, -1), (0, -1)]),
        friction=FRICTION,
        categoryBits=GROUND_CATEGORY,
    )
    obstacles = []
    for k, polygon in enumerate(track.obstacles):
        try:
            polygon_fd.shape.vertices = list(polygon)
        except Exception as exc:  # pybox2d raises its own assertion type
            raise ValueError(f"track obstacles[{k}] is not a valid polygon: {exc}") from None
        body = world.CreateStaticBody(fixtures=polygon_fd, userData=OBSTACLE_TAG)
        body.color1, body.color2 = _OBSTACLE_COLORS
        obstacles.append(body)

    edge_fd = fixtureDef(
        shape=edgeShape(vertices=[(0, 0), (1, 1)]),
        friction=FRICTION,
        categoryBits=GROUND_CATEGORY,
    )
    edges = []
    fill: list[FillPolygon] = []
    ground = track.ground
    for i in range(len(ground) - 1):
        (x0, y0), (x1, y1) = ground[i], ground[i + 1]
        edge_fd.shape.vertices = [(x0, y0), (x1, y1)]
        body = world.CreateStaticBody(fixtures=edge_fd, userData=GROUND_TAG)
        body.color1 = body.color2 = _GROUND_COLORS[i % 2]
        edges.append(body)
        fill.append(([(x0, y0), (x1, y1), (x1, 0.0), (x0, 0.0)], _GROUND_FILL))
    return obstacles, edges, fill
