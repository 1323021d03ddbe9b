"""Planar polygon helpers: split any hexagon obstacle into Box2D-valid convex pieces.

Box2D polygons must be convex (it silently replaces any other vertex list by its convex
hull), so an obstacle outline is turned into convex pieces that share one static body:

* convex outline -> itself, one piece;
* simple but concave outline -> ear-clipping triangles (exactly the outline's area);
* self-intersecting outline -> triangles fanned from the midpoint of the first and last
  vertices (for the hexagons: the middle of the base, on the ground). The union is the
  region swept by the outline as seen from that point, which equals the outline's
  interior wherever the outline is star-shaped about it.

Pieces with a negligible area or a vertex too close to another (Box2D would weld them)
are dropped. All arrays are (n, 2) in the same unit (metres when fed to Box2D).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["convex_pieces", "is_convex", "is_simple", "signed_area"]

_EPS = 1e-9
MIN_PIECE_AREA = 1e-3  # m^2: slivers below this carry no physical meaning
MIN_EDGE = 0.01  # m: Box2D welds vertices closer than half a linear slop (0.0025 m)


def signed_area(poly: np.ndarray) -> float:
    """Shoelace area of a closed polygon (n, 2); positive when counter-clockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def is_convex(poly: np.ndarray) -> bool:
    """True when the closed polygon (n, 2) is convex and turns around exactly once.

    Collinear vertices are allowed; a zero-area polygon is not convex.
    """
    n = len(poly)
    if n < 3 or abs(signed_area(poly)) <= _EPS:
        return False
    sign = 0
    turning = 0.0
    for i in range(n):
        a, b, c = poly[i], poly[(i + 1) % n], poly[(i + 2) % n]
        cross = _cross(a, b, c)
        if abs(cross) > _EPS:
            s = 1 if cross > 0 else -1
            if sign and s != sign:
                return False
            sign = s
        u, v = b - a, c - b
        turning += math.atan2(u[0] * v[1] - u[1] * v[0], float(np.dot(u, v)))
    return abs(abs(turning) - 2 * math.pi) < 1e-6


def _segments_touch(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> bool:
    """True when closed segments pq and rs share at least one point."""
    d1, d2 = _cross(r, s, p), _cross(r, s, q)
    d3, d4 = _cross(p, q, r), _cross(p, q, s)
    if ((d1 > _EPS and d2 < -_EPS) or (d1 < -_EPS and d2 > _EPS)) and (
        (d3 > _EPS and d4 < -_EPS) or (d3 < -_EPS and d4 > _EPS)
    ):
        return True

    def on_segment(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: float) -> bool:
        return (
            abs(d) <= _EPS
            and min(a[0], b[0]) - _EPS <= c[0] <= max(a[0], b[0]) + _EPS
            and (min(a[1], b[1]) - _EPS <= c[1] <= max(a[1], b[1]) + _EPS)
        )

    return (
        on_segment(r, s, p, d1)
        or on_segment(r, s, q, d2)
        or on_segment(p, q, r, d3)
        or on_segment(p, q, s, d4)
    )


def is_simple(poly: np.ndarray) -> bool:
    """True when no two non-adjacent edges of the closed polygon (n, 2) touch."""
    n = len(poly)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # adjacent through the closing edge
            if _segments_touch(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n]):
                return False
    return True


def _in_triangle(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
    """True when p lies inside or on the counter-clockwise triangle abc."""
    return _cross(a, b, p) >= -_EPS and _cross(b, c, p) >= -_EPS and _cross(c, a, p) >= -_EPS


def _ear_clip(poly: np.ndarray) -> list[np.ndarray] | None:
    """Triangulate a simple polygon; None if no ear is found (degenerate input)."""
    pts = poly if signed_area(poly) > 0 else poly[::-1]
    idx = list(range(len(pts)))
    triangles: list[np.ndarray] = []
    while len(idx) > 3:
        for k in range(len(idx)):
            i, j, m = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = pts[i], pts[j], pts[m]
            if _cross(a, b, c) <= _EPS:
                continue  # reflex or flat corner: not an ear
            if any(_in_triangle(pts[o], a, b, c) for o in idx if o not in (i, j, m)):
                continue
            triangles.append(np.array([a, b, c]))
            del idx[k]
            break
        else:
            return None
    triangles.append(pts[idx])
    return triangles


def _fan(poly: np.ndarray, apex: np.ndarray) -> list[np.ndarray]:
    n = len(poly)
    return [np.array([apex, poly[i], poly[(i + 1) % n]]) for i in range(n)]


def _usable(piece: np.ndarray) -> bool:
    if abs(signed_area(piece)) < MIN_PIECE_AREA:
        return False
    edges = np.linalg.norm(piece - np.roll(piece, -1, axis=0), axis=1)
    return bool(edges.min() >= MIN_EDGE)


def _drop_repeats(poly: np.ndarray) -> np.ndarray:
    keep = [0]
    for i in range(1, len(poly)):
        if np.linalg.norm(poly[i] - poly[keep[-1]]) >= MIN_EDGE:
            keep.append(i)
    if len(keep) > 1 and np.linalg.norm(poly[keep[-1]] - poly[keep[0]]) < MIN_EDGE:
        keep.pop()
    return poly[keep]


def convex_pieces(poly: np.ndarray) -> list[np.ndarray]:
    """Split a closed polygon (n, 2), in metres, into Box2D-valid convex pieces.

    Returns:
        A list of (k, 2) arrays, 3 <= k <= n, each convex with area >= MIN_PIECE_AREA;
        empty when the outline has no usable area.
    """
    given = np.asarray(poly, dtype=np.float64)
    apex = (given[0] + given[-1]) / 2
    outline = _drop_repeats(given)
    if len(outline) < 3:
        return []
    if is_convex(outline):
        pieces = [outline]
    elif is_simple(outline):
        pieces = _ear_clip(outline) or _fan(outline, apex)
    else:
        pieces = _fan(outline, apex)
    return [p for p in pieces if _usable(p)]
