"""Shipped test sets: content, order, and agreement with their generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import envs
from envs._test_sets import write_test_sets

DATA = Path(envs.__file__).with_name("data")


def test_names_per_environment() -> None:
    assert envs.test_set_names("StumpTracks-v1") == ("paper50", "grid100")
    assert envs.test_set_names("HexagonTracks-v1") == ("paper50",)


@pytest.mark.parametrize(
    ("env_id", "name", "shape"),
    [
        ("StumpTracks-v1", "paper50", (50, 2)),
        ("StumpTracks-v1", "grid100", (100, 2)),
        ("HexagonTracks-v1", "paper50", (50, 12)),
    ],
)
def test_shape_bounds_and_generator_agreement(
    env_id: str, name: str, shape: tuple[int, int]
) -> None:
    tasks = envs.test_set(env_id, name)
    assert tasks.shape == shape and tasks.dtype == np.float64
    low, high = np.array(list(envs.task_bounds(env_id).values())).T
    assert np.all(tasks >= low) and np.all(tasks <= high)
    np.testing.assert_array_equal(tasks, envs.generate_test_set(env_id, name))
    assert len(np.unique(tasks, axis=0)) == shape[0]


def test_grid_is_ten_by_ten_with_the_first_parameter_slowest() -> None:
    grid = envs.test_set("StumpTracks-v1", "grid100")
    np.testing.assert_allclose(np.unique(grid[:, 0]), np.linspace(0, 3, 10), atol=1e-6)
    np.testing.assert_allclose(np.unique(grid[:, 1]), np.linspace(0, 6, 10), atol=1e-6)
    assert np.all(grid[:10, 0] == 0.0)
    np.testing.assert_allclose(grid[:10, 1], np.linspace(0, 6, 10), atol=1e-6)


def test_committed_json_equals_a_fresh_generation(tmp_path: Path) -> None:
    for written in write_test_sets(tmp_path):
        assert written.read_text() == (DATA / written.name).read_text()
    document = json.loads((DATA / "stump_tracks.json").read_text())
    assert document["names"] == ["stump_height", "obstacle_spacing"]


def test_each_call_returns_a_fresh_array() -> None:
    first = envs.test_set("StumpTracks-v1", "paper50")
    first[0, 0] = -1.0
    assert envs.test_set("StumpTracks-v1", "paper50")[0, 0] != -1.0


def test_unknown_test_set_is_a_value_error_naming_the_choices() -> None:
    with pytest.raises(envs.UnknownTestSetError, match="'paper50'.*got 'grid100'"):
        envs.test_set("HexagonTracks-v1", "grid100")


def test_every_task_of_every_set_builds_a_track() -> None:
    import gymnasium as gym

    for env_id in envs.ENV_IDS:
        env = gym.make(env_id)
        for name in envs.test_set_names(env_id):
            for task in envs.test_set(env_id, name):
                _, info = env.reset(seed=0, options={"task": task})
                assert list(info["task"].values()) == task.tolist()
