"""Tasks: validation, per-instance state, when a task takes effect."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs

STUMPS = {"stump_height": 1.2, "obstacle_spacing": 3.0}


H, S = "stump_height", "obstacle_spacing"
RANGE_H, RANGE_S = r"\[0.0, 3.0\]", r"\[0.0, 6.0\]"


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({H: 4.5, S: 3.0}, rf"stump_height must be in {RANGE_H}, got 4.5"),
        ({H: 1.0, S: -0.5}, rf"obstacle_spacing must be in {RANGE_S}, got -0.5"),
        ({H: math.nan, S: 1.0}, rf"stump_height must be a finite number in {RANGE_H}, got nan"),
        ({H: 1.0, S: math.inf}, rf"obstacle_spacing must be a finite number in {RANGE_S}, got inf"),
        ({H: "high", S: 1.0}, rf"stump_height must be a number in {RANGE_H}, got 'high'"),
        ({H: True, S: 1.0}, rf"stump_height must be a number in {RANGE_H}, got True"),
        ({H: 1.0}, rf"missing obstacle_spacing \(range {RANGE_S}\)"),
        (
            {H: 1.0, S: 1.0, "roughness": 2.0},
            rf"unknown task parameter 'roughness' \(got 2.0\).*stump_height in {RANGE_H}",
        ),
        ([1.0, 2.0, 3.0], r"task has shape \(3,\), StumpTracks-v1 expects 2 values"),
        ("1.0, 2.0", r"task must be a mapping"),
    ],
)
def test_bad_tasks_are_value_errors_naming_parameter_range_and_value(
    task: object, message: str
) -> None:
    env = gym.make("StumpTracks-v1")
    env.reset(seed=0, options={"task": STUMPS})
    with pytest.raises(envs.InvalidEnvTaskError, match=message):
        env.reset(options={"task": task})
    with pytest.raises(ValueError, match=message):
        env.unwrapped.set_task(task)
    # The environment keeps its previous task, pending nothing.
    assert env.unwrapped.task == STUMPS
    _, info = env.reset()
    assert info["task"] == STUMPS


def test_hexagon_value_error_names_the_vertex_offset() -> None:
    env = gym.make("HexagonTracks-v1")
    task = dict.fromkeys(env.unwrapped.task_names, 1.0)
    task["dy3"] = 4.25
    with pytest.raises(envs.InvalidEnvTaskError, match=r"dy3 must be in \[0.0, 4.0\], got 4.25"):
        env.unwrapped.set_task(task)


def test_unknown_walker_is_a_value_error_naming_the_choices() -> None:
    choices = "'default', 'short', 'quadruped', got 'biped'"
    with pytest.raises(envs.UnknownWalkerError, match=choices):
        gym.make("StumpTracks-v1", walker="biped")
    with pytest.raises(ValueError, match="render_mode"):
        envs.StumpTracksEnv(render_mode="ascii")
    with pytest.raises(ValueError, match="max_episode_steps"):
        envs.StumpTracksEnv(max_episode_steps=0)


def test_task_space_and_names_follow_the_canonical_order() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    assert env.task_names == ("stump_height", "obstacle_spacing")
    assert isinstance(env.task_space, gym.spaces.Box)
    np.testing.assert_array_equal(env.task_space.low, [0.0, 0.0])
    np.testing.assert_array_equal(env.task_space.high, [3.0, 6.0])
    assert env.mastery_threshold == 230.0


def test_default_task_before_the_first_task_then_the_last_one_is_kept() -> None:
    env = gym.make("StumpTracks-v1")
    _, info = env.reset(seed=0)
    assert info["task"] == envs.default_task("StumpTracks-v1")
    _, info = env.reset(options={"task": STUMPS})
    assert info["task"] == STUMPS
    _, info = env.reset()
    assert info["task"] == STUMPS
    _, _, _, _, info = env.step(env.action_space.sample())
    assert info["task"] == STUMPS


def test_set_task_applies_at_the_next_reset_and_options_take_precedence() -> None:
    env = gym.make("StumpTracks-v1")
    env.reset(seed=0, options={"task": STUMPS})
    env.unwrapped.set_task({"stump_height": 0.5, "obstacle_spacing": 5.0})
    assert env.unwrapped.task == STUMPS  # not yet
    _, info = env.reset()
    assert info["task"] == {"stump_height": 0.5, "obstacle_spacing": 5.0}

    env.unwrapped.set_task({"stump_height": 2.0, "obstacle_spacing": 1.0})
    _, info = env.reset(options={"task": [0.25, 0.75]})  # a sequence in canonical order
    assert info["task"] == {"stump_height": 0.25, "obstacle_spacing": 0.75}
    _, info = env.reset()
    assert info["task"] == {"stump_height": 0.25, "obstacle_spacing": 0.75}


def test_constructor_task_and_numpy_values() -> None:
    env = gym.make("StumpTracks-v1", task=np.array([2.0, 1.5], dtype=np.float32))
    _, info = env.reset(seed=1)
    assert info["task"] == {"stump_height": 2.0, "obstacle_spacing": 1.5}
    assert all(type(v) is float for v in info["task"].values())


def test_info_task_is_a_fresh_dict_each_time() -> None:
    env = gym.make("StumpTracks-v1")
    _, info = env.reset(seed=0, options={"task": STUMPS})
    info["task"]["stump_height"] = 3.0
    assert env.unwrapped.task == STUMPS


def test_two_instances_never_share_terrain_or_body(
    outlines: Callable[[Any], list[np.ndarray]],
) -> None:
    low = gym.make("StumpTracks-v1", walker="short")
    high = gym.make("StumpTracks-v1", walker="quadruped")
    low.reset(seed=3, options={"task": {"stump_height": 0.0, "obstacle_spacing": 6.0}})
    before = outlines(low)
    high.reset(seed=3, options={"task": {"stump_height": 3.0, "obstacle_spacing": 0.5}})
    after = outlines(low)
    assert len(before) == len(after) and all(
        np.array_equal(a, b) for a, b in zip(before, after, strict=True)
    )
    assert len(outlines(high)) > len(after)
    assert low.unwrapped.task != high.unwrapped.task
    assert low.action_space.shape == (4,) and high.action_space.shape == (8,)


def test_bad_reset_options_are_rejected_and_change_nothing() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    env.reset(seed=0, options={"task": {"stump_height": 1.0, "obstacle_spacing": 2.0}})
    before = (env.track, env.push, env.task)
    bad = [
        ({"push": "strong"}, r"options\['push'\] must be a number \(newtons\), got 'strong'"),
        ({"push": float("nan")}, r"options\['push'\] must be a finite number"),
        (
            {"track": {"ground": [[0, 1]]}},
            r"options\['track'\]: a track must be a mapping|"
            r"options\['track'\]: .*ground needs at least 2 points",
        ),
        (
            {"track": {"ground": [[0, 1], [2, 1]], "obstacles": [[[0, 0], [1, 0]]]}},
            r"obstacles\[0\] must have 3 to 8 vertices, got 2",
        ),
        ({"track": [1, 2]}, r"options\['track'\]: a track must be a mapping"),
        ({"tracks": None}, "unknown reset option 'tracks'"),
    ]
    for options, pattern in bad:
        with pytest.raises(ValueError, match=pattern):
            env.reset(seed=1, options=options)
        assert (env.track, env.push, env.task) == before


def test_a_track_box2d_rejects_changes_nothing() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    env.reset(seed=0)
    before = (env.track, env.push, env.task, env.hull)
    flat = {
        "ground": [[0.0, 3.3], [90.0, 3.3]],
        "obstacles": [[[10.0, 3.3], [11.0, 3.3], [12.0, 3.3]]],
    }
    with pytest.raises(ValueError, match=r"obstacles\[0\] is not a valid polygon"):
        env.reset(options={"track": flat})
    assert (env.track, env.push, env.task, env.hull) == before
    env.step(np.zeros(4))  # the episode goes on
