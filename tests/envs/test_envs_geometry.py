"""Convex decomposition of obstacle outlines (pure geometry, then through Box2D)."""

from __future__ import annotations

import Box2D
import numpy as np
import pytest

from envs._geometry import MIN_PIECE_AREA, convex_pieces, is_convex, is_simple, signed_area
from envs._hexagon import DEFAULT_HEXAGON, hexagon_outline
from envs._terrain import STEP, build_obstacles


def _area(pieces: list[np.ndarray]) -> float:
    return sum(abs(signed_area(p)) for p in pieces)


def test_default_hexagon_is_one_convex_piece() -> None:
    outline = hexagon_outline(np.zeros(12))
    np.testing.assert_array_equal(outline, DEFAULT_HEXAGON)
    assert is_convex(outline) and is_simple(outline)
    pieces = convex_pieces(outline * STEP)
    assert len(pieces) == 1
    np.testing.assert_allclose(pieces[0], DEFAULT_HEXAGON * STEP)


def test_ground_vertices_ignore_their_dy() -> None:
    outline = hexagon_outline(np.full(12, 2.0))
    assert outline[0, 1] == 0.0 and outline[5, 1] == 0.0
    assert outline[0, 0] == 1.5 and outline[5, 0] == 2.5


def test_concave_simple_outline_is_triangulated_exactly() -> None:
    concave = np.array([(0, 0), (2, 0), (2, 2), (1, 0.5), (0, 2)], dtype=float)
    assert not is_convex(concave) and is_simple(concave)
    pieces = convex_pieces(concave)
    assert len(pieces) == 3
    assert all(is_convex(p) for p in pieces)
    assert _area(pieces) == pytest.approx(abs(signed_area(concave)))


def test_self_intersecting_outline_is_fanned_from_the_base_midpoint() -> None:
    bowtie = np.array([(0, 0), (2, 2), (2, 0), (0, 2)], dtype=float)
    assert not is_simple(bowtie)
    pieces = convex_pieces(bowtie)
    assert pieces and all(is_convex(p) for p in pieces)
    apex = np.array([0.0, 1.0])  # midpoint of the first and last vertices
    assert all(any(np.allclose(v, apex) for v in p) for p in pieces)


def test_degenerate_outline_has_no_pieces() -> None:
    assert convex_pieces(np.array([(0, 0), (1, 0), (2, 0)], dtype=float)) == []
    assert convex_pieces(np.zeros((6, 2))) == []


def test_random_offsets_always_give_valid_box2d_fixtures() -> None:
    rng = np.random.default_rng(0)
    offsets = np.vstack([rng.uniform(0, 4, (300, 12)), rng.integers(0, 5, (100, 12))])
    world = Box2D.b2World()
    for task in offsets:
        outline = hexagon_outline(task) * STEP
        pieces = convex_pieces(outline)
        assert pieces, task
        assert all(is_convex(p) and abs(signed_area(p)) >= MIN_PIECE_AREA for p in pieces)
        if is_simple(outline):
            assert _area(pieces) == pytest.approx(abs(signed_area(outline)), rel=0.02)
        (body,) = build_obstacles(world, [0.0], pieces)
        assert len(body.fixtures) == len(pieces)


def test_hexagon_outline_leaves_its_input_alone() -> None:
    offsets = np.full(12, 1.0)
    hexagon_outline(offsets)
    np.testing.assert_array_equal(offsets, np.full(12, 1.0))
