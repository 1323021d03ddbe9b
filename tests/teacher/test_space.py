import json

import numpy as np
import pytest

from teacher import InvalidSpaceError, InvalidTaskError, TaskSpace

SPACE = {"stump_height": (0.0, 3.0), "obstacle_spacing": (0.0, 6.0)}


def test_order_is_insertion_order_everywhere():
    s = TaskSpace(SPACE)
    assert s.names == ("stump_height", "obstacle_spacing")
    assert s.to_dict(np.array([1.0, 2.0])) == {"stump_height": 1.0, "obstacle_spacing": 2.0}
    arr = s.from_dict({"obstacle_spacing": 2.0, "stump_height": 1.0})
    assert arr.tolist() == [1.0, 2.0]
    assert list(s.to_json()) == ["stump_height", "obstacle_spacing"]


def test_json_round_trip_and_equality():
    s = TaskSpace(SPACE)
    again = TaskSpace.from_json(json.loads(json.dumps(s.to_json())))
    assert again == s and hash(again) == hash(s)
    assert TaskSpace({"obstacle_spacing": (0, 6), "stump_height": (0, 3)}) != s
    assert TaskSpace({"stump_height": (0, 3), "obstacle_spacing": (0, 5)}) != s


@pytest.mark.parametrize(
    "bounds, fragment",
    [
        ({}, "at least one"),
        ({"a": (1, 1)}, "low < high"),
        ({"a": (2, 1)}, "low < high"),
        ({"a": (0, float("inf"))}, "finite"),
        ({"": (0, 1)}, "non-empty"),
        ({"a": (0,)}, "two numbers"),
        ({"a": ("x", 1)}, "two numbers"),
    ],
)
def test_bad_bounds_are_rejected(bounds, fragment):
    with pytest.raises(InvalidSpaceError, match=fragment):
        TaskSpace(bounds)


def test_duplicate_names_are_rejected():
    with pytest.raises(InvalidSpaceError, match="twice"):
        TaskSpace([("a", (0, 1)), ("a", (0, 2))])


@pytest.mark.parametrize(
    "task, fragment",
    [
        ([1.0, 2.0, 3.0], "has 3 values, the space has 2 .stump_height, obstacle_spacing."),
        ([[1.0, 2.0]], "shape"),
        ([4.5, 1.0], r"stump_height must be in \[0.0, 3.0\], got 4.5"),
        ([1.0, float("nan")], "obstacle_spacing must be a finite number"),
        ({"stump_height": 1.0}, "missing parameter 'obstacle_spacing'"),
        ({"stump_height": 1.0, "obstacle_spacing": 1.0, "x": 1}, "unknown parameter 'x'"),
        ({"stump_height": "1", "obstacle_spacing": 1.0}, "must be a number"),
        ("abc", "must be 2 numbers"),
    ],
)
def test_bad_tasks_name_the_problem(task, fragment):
    with pytest.raises(InvalidTaskError, match=fragment):
        TaskSpace(SPACE).validate(task)


def test_uniform_stays_in_the_box():
    s = TaskSpace(SPACE)
    rng = np.random.default_rng(0)
    draws = np.array([s.uniform(rng) for _ in range(1000)])
    assert (draws >= s.low).all() and (draws <= s.high).all()
    assert draws[:, 1].max() > 5.5
