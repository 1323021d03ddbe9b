"""Registration, package-level metadata and the cheap (Box2D-free) API."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

import envs


def test_both_environments_are_registered_with_the_paper_cap_and_threshold() -> None:
    for env_id in ("StumpTracks-v1", "HexagonTracks-v1"):
        spec = gym.spec(env_id)
        assert spec.max_episode_steps == 2000
        assert spec.reward_threshold == 230.0
        assert envs.mastery_threshold(env_id) == 230.0
    assert envs.ENV_IDS == ("StumpTracks-v1", "HexagonTracks-v1")
    assert envs.MASTERY_THRESHOLD == 230.0


def test_task_bounds_are_in_canonical_order() -> None:
    assert envs.task_bounds("StumpTracks-v1") == {
        "stump_height": (0.0, 3.0),
        "obstacle_spacing": (0.0, 6.0),
    }
    hexagon = envs.task_bounds("HexagonTracks-v1")
    assert list(hexagon) == [f"{a}{i}" for i in range(6) for a in ("dx", "dy")]
    assert set(hexagon.values()) == {(0.0, 4.0)}
    assert envs.task_names("StumpTracks-v1") == ("stump_height", "obstacle_spacing")


def test_default_tasks_are_documented_values() -> None:
    assert envs.default_task("StumpTracks-v1") == {"stump_height": 0.0, "obstacle_spacing": 6.0}
    assert set(envs.default_task("HexagonTracks-v1").values()) == {0.0}


def test_unknown_environment_id_is_a_value_error_naming_the_choices() -> None:
    with pytest.raises(envs.UnknownEnvironmentError, match="'StumpTracks-v1'.*got 'Stumps-v1'"):
        envs.task_bounds("Stumps-v1")
    with pytest.raises(ValueError):
        envs.test_set("BipedalWalker-v3", "paper50")


def test_importing_the_package_loads_neither_box2d_nor_pygame() -> None:
    code = (
        "import sys, envs; envs.task_bounds('StumpTracks-v1'); "
        "envs.test_set('StumpTracks-v1', 'paper50'); "
        "print(sorted(m for m in ('Box2D', 'pygame', 'imageio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_walkers_and_their_layouts() -> None:
    assert envs.WALKERS == ("default", "short", "quadruped")
    default, short, quadruped = (envs.walker_spec(w) for w in envs.WALKERS)
    assert (default.action_dim, default.observation_dim) == (4, 24)
    assert (short.action_dim, short.observation_dim) == (4, 24)
    assert (quadruped.action_dim, quadruped.observation_dim) == (8, 34)
    assert default.leg_length == pytest.approx(34 / 30)
    assert short.leg_length == pytest.approx(17 / 30)
    assert quadruped.leg_length == pytest.approx(51 / 30)
    assert (default.motor_torque, quadruped.motor_torque) == (80.0, 300.0)
    assert quadruped.torque_cost == pytest.approx(0.00035 * 300 / 8)
    assert len(quadruped.observation_names()) == 34
    assert quadruped.action_names()[:4] == ("hip0", "knee0", "hip1", "knee1")


def test_public_surface_is_declared() -> None:
    for name in envs.__all__:
        assert getattr(envs, name) is not None


@pytest.mark.parametrize("old", ["StumpTracks-v0", "HexagonTracks-v0"])
def test_removed_v0_ids_fail_naming_v1(old: str) -> None:
    new = old[:-1] + "1"
    with pytest.raises(envs.UnknownEnvironmentError, match=f"{old} was removed.*use {new}"):
        envs.task_spec(old)
    with pytest.warns(DeprecationWarning), pytest.raises(gym.error.Error, match=new):
        gym.make(old)
    assert old in envs.REMOVED_IDS


def test_bad_constructor_keywords_name_the_argument_and_the_choices() -> None:
    for kwargs, pattern in [
        ({"lidar": "closest"}, "lidar must be one of 'first', 'nearest', got 'closest'"),
        ({"foot_contact": 4}, "foot_contact must be one of 'first_pair', 'all', got 4"),
        ({"observation_dtype": "int8"}, "observation_dtype must be one of .*got 'int8'"),
    ]:
        with pytest.raises(ValueError, match=pattern):
            gym.make("StumpTracks-v1", **kwargs)
