"""Registration, package-level metadata and the cheap (Box2D-free) API."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

import envs


def test_both_environments_are_registered_with_the_paper_cap_and_threshold() -> None:
    for env_id in ("StumpTracks-v0", "HexagonTracks-v0"):
        spec = gym.spec(env_id)
        assert spec.max_episode_steps == 2000
        assert spec.reward_threshold == 230.0
        assert envs.mastery_threshold(env_id) == 230.0
    assert envs.ENV_IDS == ("StumpTracks-v0", "HexagonTracks-v0")
    assert envs.MASTERY_THRESHOLD == 230.0


def test_task_bounds_are_in_canonical_order() -> None:
    assert envs.task_bounds("StumpTracks-v0") == {
        "stump_height": (0.0, 3.0),
        "obstacle_spacing": (0.0, 6.0),
    }
    hexagon = envs.task_bounds("HexagonTracks-v0")
    assert list(hexagon) == [f"{a}{i}" for i in range(6) for a in ("dx", "dy")]
    assert set(hexagon.values()) == {(0.0, 4.0)}
    assert envs.task_names("StumpTracks-v0") == ("stump_height", "obstacle_spacing")


def test_default_tasks_are_documented_values() -> None:
    assert envs.default_task("StumpTracks-v0") == {"stump_height": 0.0, "obstacle_spacing": 6.0}
    assert set(envs.default_task("HexagonTracks-v0").values()) == {0.0}


def test_unknown_environment_id_is_a_value_error_naming_the_choices() -> None:
    with pytest.raises(envs.UnknownEnvironmentError, match="'StumpTracks-v0'.*got 'Stumps-v0'"):
        envs.task_bounds("Stumps-v0")
    with pytest.raises(ValueError):
        envs.test_set("BipedalWalker-v3", "uniform50")


def test_importing_the_package_loads_neither_box2d_nor_pygame() -> None:
    code = (
        "import sys, envs; envs.task_bounds('StumpTracks-v0'); "
        "envs.test_set('StumpTracks-v0', 'uniform50'); "
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
