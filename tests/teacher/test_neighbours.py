import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from teacher._neighbours import TIES, NearestNeighbours, brute_force_nearest


def _check(points: np.ndarray, capacity: int | None, ties: str = "latest") -> None:
    nn = NearestNeighbours(points.shape[1], capacity=capacity, ties=ties)
    for i, p in enumerate(points):
        if i:
            start = 0 if capacity is None else max(0, i - capacity)
            expected = start + brute_force_nearest(points[start:i], p, ties)
            assert nn.query(p) == expected, (i, capacity, ties)
        else:
            assert nn.query(p) is None
        nn.add(p)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 700),
    dim=st.integers(1, 4),
    levels=st.integers(2, 6),
    capacity=st.one_of(st.none(), st.integers(1, 300)),
    seed=st.integers(0, 2**31),
    ties=st.sampled_from(TIES),
)
@example(n=358, dim=4, levels=4, capacity=56, seed=0, ties="earliest")  # a tie hidden
@example(n=358, dim=4, levels=4, capacity=56, seed=0, ties="latest")  # behind expired points
def test_matches_brute_force_with_ties_and_duplicates(n, dim, levels, capacity, seed, ties):
    # Points on a coarse lattice: many exact duplicates and equidistant ties.
    rng = np.random.default_rng(seed)
    points = rng.integers(0, levels, size=(n, dim)).astype(float) / (levels - 1)
    _check(points, capacity, ties)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), capacity=st.one_of(st.none(), st.integers(50, 2000)))
def test_matches_brute_force_on_continuous_points(seed, capacity):
    rng = np.random.default_rng(seed)
    _check(rng.random((1500, 2)), capacity)


def test_bulk_extend_equals_incremental_adds():
    rng = np.random.default_rng(1)
    pts = rng.integers(0, 5, size=(2000, 2)).astype(float)
    a, b = NearestNeighbours(2), NearestNeighbours(2)  # ties: latest
    for p in pts:
        a.add(p)
    b.extend(pts)
    for q in rng.random((300, 2)) * 4:
        assert a.query(q) == b.query(q) == brute_force_nearest(pts, q)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31), shape=st.sampled_from([(65, 2), (17, 3), (9, 4)]),
       ties=st.sampled_from(TIES))
def test_ties_across_several_trees(seed, shape, ties):
    # Lattices with power-of-two spacing, so equal distances are exactly equal, and more
    # unique points than the newest ones an uncapped query brute-forces: exact ties then
    # fall between older trees and the newest points.
    levels, dim = shape
    rng = np.random.default_rng(seed)
    points = rng.integers(0, levels, size=(5000, dim)).astype(float) / (levels - 1)
    _check(points, None, ties)


def test_repeats_of_a_task_answer_its_latest_or_first_occurrence():
    corner = np.zeros(2)
    points = np.array([corner, [0.5, 0.5], corner, [0.9, 0.1], corner])
    for ties, expected in (("latest", 4), ("earliest", 0)):
        nn = NearestNeighbours(2, ties=ties)
        nn.extend(points)
        assert nn.query(corner) == expected
        assert nn.query(np.array([0.01, 0.0])) == expected
    with pytest.raises(ValueError, match="ties must be one of"):
        NearestNeighbours(2, ties="random")
