"""TaskParamEnv (any environment as a task-parameterised one) and TaskInObservation."""

from __future__ import annotations

import numpy as np
import pytest

from students.taskenv import TaskParamEnv, parse_task_param, uniform_test_set
from students.wrappers import TaskInObservation

SPACE = {"length": (0.2, 2.0), "masspole": (0.05, 0.5)}


def _rollout(env, task, steps=40):
    obs, info = env.reset(seed=3, options={"task": task})
    out = [obs]
    for _ in range(steps):
        obs, _, term, trunc, _ = env.step(1)
        out.append(obs)
        if term or trunc:
            break
    return np.array(out), info


def test_cartpole_parameters_take_full_effect():
    env = TaskParamEnv("CartPole-v1", SPACE)
    short, info = _rollout(env, {"length": 0.2, "masspole": 0.1})
    assert info["task"] == {"length": 0.2, "masspole": 0.1}
    inner = env.unwrapped
    # the cached products are recomputed (without the hook they keep __init__'s values)
    assert inner.polemass_length == pytest.approx(0.1 * 0.2)
    assert inner.total_mass == pytest.approx(0.1 + inner.masscart)
    long, _ = _rollout(env, {"length": 2.0, "masspole": 0.5})
    n = min(len(short), len(long))
    assert not np.allclose(short[:n], long[:n])
    again, _ = _rollout(env, {"length": 0.2, "masspole": 0.1})
    np.testing.assert_array_equal(again, short)  # same task + seed: same episode


def test_a_reset_without_a_task_keeps_the_last_one():
    env = TaskParamEnv("CartPole-v1", SPACE)
    _, info = env.reset(seed=0)
    assert info["task"] == {"length": 1.1, "masspole": 0.275}  # the box's centre
    env.reset(options={"task": {"length": 0.5, "masspole": 0.2}})
    _, info = env.reset()
    assert info["task"] == {"length": 0.5, "masspole": 0.2}


def test_kwargs_mode_rebuilds_the_environment():
    env = TaskParamEnv("Pendulum-v1", {"g": (1.0, 20.0)}, mode="kwargs")
    first = env.env
    env.reset(seed=0, options={"task": {"g": 3.5}})
    assert env.unwrapped.g == 3.5 and env.env is not first
    kept = env.env
    env.reset(options={"task": {"g": 3.5}})
    assert env.env is kept  # same task: no rebuild


@pytest.mark.parametrize(("task", "fragment"), [
    ({"length": 9.0, "masspole": 0.1}, "'length' must be in [0.2, 2.0], got 9.0"),
    ({"length": 1.0}, "missing ['masspole']"),
    ({"length": 1.0, "masspole": 0.1, "gravity": 1}, "unknown ['gravity']"),
    ({"length": float("nan"), "masspole": 0.1}, "'length' must be in"),
    ({"length": "long", "masspole": 0.1}, "'length' must be a number, got 'long'"),
])
def test_bad_task_names_the_parameter_and_changes_nothing(task, fragment):
    env = TaskParamEnv("CartPole-v1", SPACE)
    env.reset(seed=0, options={"task": {"length": 0.5, "masspole": 0.2}})
    with pytest.raises(ValueError) as err:
        env.reset(options={"task": task})
    assert fragment in str(err.value)
    assert env.task == {"length": 0.5, "masspole": 0.2}
    assert env.unwrapped.length == 0.5


def test_unknown_attribute_is_refused_by_name():
    with pytest.raises(ValueError, match=r"CartPoleEnv has no attribute\(s\) \['pole'\]"):
        TaskParamEnv("CartPole-v1", {"pole": (0.0, 1.0)})


@pytest.mark.parametrize(("text", "fragment"), [
    ("length", "name=low:high"),
    ("length=1", "name=low:high"),
    ("length=a:b", "must be numbers"),
    ("length=2:1", "finite low < high"),
])
def test_task_param_syntax(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_task_param(text)
    assert parse_task_param("length=0.2:2") == ("length", (0.2, 2.0))


def test_uniform_test_set_is_seeded_and_in_the_box():
    a = uniform_test_set(SPACE, 20, seed=0)
    np.testing.assert_array_equal(a, uniform_test_set(SPACE, 20, seed=0))
    assert a.shape == (20, 2)
    assert (a[:, 0] >= 0.2).all() and (a[:, 0] <= 2.0).all()
    assert not np.array_equal(a, uniform_test_set(SPACE, 20, seed=1))


def test_task_in_observation_appends_the_normalised_task():
    env = TaskInObservation(TaskParamEnv("CartPole-v1", SPACE), SPACE)
    assert env.observation_space.shape == (6,)
    obs, _ = env.reset(seed=0, options={"task": {"length": 2.0, "masspole": 0.05}})
    np.testing.assert_allclose(obs[4:], [1.0, 0.0])
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(0)
    np.testing.assert_allclose(obs[4:], [1.0, 0.0])
