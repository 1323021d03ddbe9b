"""Gymnasium and Stable-Baselines3 conformance, spaces, determinism, episode cap."""

from __future__ import annotations

import warnings
from itertools import product

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs

CASES = list(product(envs.ENV_IDS, envs.WALKERS))


@pytest.mark.usefixtures("dummy_display")
@pytest.mark.parametrize(("env_id", "walker"), CASES)
def test_gymnasium_check_env_passes_without_warnings(env_id: str, walker: str) -> None:
    env = gym.make(env_id, walker=walker)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        check_env(env.unwrapped)  # also makes the "human" and "rgb_array" variants
    env.close()


@pytest.mark.parametrize(("env_id", "walker"), CASES)
def test_stable_baselines3_check_env_passes(env_id: str, walker: str) -> None:
    env = gym.make(env_id, walker=walker)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        sb3_check_env(env, warn=True)


@pytest.mark.parametrize(("env_id", "walker"), CASES)
def test_spaces_match_the_walker_layout(env_id: str, walker: str) -> None:
    env = gym.make(env_id, walker=walker)
    spec = envs.walker_spec(walker)
    assert env.action_space.shape == (spec.action_dim,)
    assert env.observation_space.shape == (spec.observation_dim,)
    assert env.observation_space.dtype == np.float32
    assert len(env.unwrapped.observation_names) == spec.observation_dim
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs in env.observation_space
    lidar = obs[-10:]
    assert np.all((lidar > 0) & (lidar <= 1))  # the ground is within lidar range


def _rollout(env: gym.Env, seed: int, task: object, steps: int = 150) -> bytes:
    obs, _ = env.reset(seed=seed, options={"task": task})
    actions = np.random.default_rng(seed).uniform(-1, 1, (steps, *env.action_space.shape))
    chunks = [obs.tobytes()]
    for action in actions.astype(np.float32):
        obs, reward, terminated, truncated, _ = env.step(action)
        chunks += [obs.tobytes(), np.float64(reward).tobytes(), bytes([terminated, truncated])]
        if terminated or truncated:
            break
    return b"".join(chunks)


@pytest.mark.parametrize(("env_id", "walker"), CASES)
def test_seeded_rollout_is_bit_for_bit_reproducible(env_id: str, walker: str) -> None:
    task = envs.test_set(env_id, "paper50")[7]
    fresh = gym.make(env_id, walker=walker)
    used = gym.make(env_id, walker=walker)
    for seed in (1, 2):  # history must not matter
        _rollout(used, seed, envs.test_set(env_id, "paper50")[seed])
    assert _rollout(fresh, 5, task) == _rollout(used, 5, task)
    assert _rollout(fresh, 5, task) != _rollout(fresh, 6, task)


def test_episode_cap_is_2000_and_configurable() -> None:
    env = gym.make("StumpTracks-v1")
    assert env.spec is not None and env.spec.max_episode_steps == 2000
    short = gym.make("StumpTracks-v1", max_episode_steps=5)
    short.reset(seed=0)
    results = [short.step(np.zeros(4, dtype=np.float32)) for _ in range(5)]
    assert [r[3] for r in results] == [False] * 4 + [True]

    direct = envs.StumpTracksEnv(max_episode_steps=3)  # no TimeLimit wrapper
    direct.reset(seed=0)
    flags = [direct.step(np.zeros(4, dtype=np.float32))[3] for _ in range(3)]
    assert flags == [False, False, True]


def test_falling_ends_the_episode_with_minus_100() -> None:
    env = gym.make("StumpTracks-v1")  # limp motors: the default walker sits on its hull
    env.reset(seed=0)
    for _ in range(400):
        _, reward, terminated, truncated, _ = env.step(np.zeros(4, dtype=np.float32))
        if terminated or truncated:
            break
    assert terminated and reward == -100.0
    assert env.unwrapped.game_over


def test_reward_is_progress_minus_torque_cost() -> None:
    env = gym.make("StumpTracks-v1", walker="quadruped").unwrapped
    env.reset(seed=0)
    x0, angle0 = env.hull.position.x, env.hull.angle
    action = np.full(8, 0.5, dtype=np.float32)
    _, reward, terminated, _, _ = env.step(action)
    assert not terminated
    x1, angle1 = env.hull.position.x, env.hull.angle
    progress = 130 * (x1 - x0) / 30 - 5 * (abs(angle1) - abs(angle0))
    cost = 8 * 0.5 * 0.00035 * 300 / 8
    assert reward == pytest.approx(progress - cost, abs=1e-4)


def test_bad_actions_are_rejected() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(4))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        env.step(np.zeros(8))
    with pytest.raises(ValueError, match="NaN"):
        env.step(np.array([0.0, np.nan, 0.0, 0.0]))


def test_float64_observations_keep_the_reference_values_and_pass_check_env() -> None:
    exact = gym.make("HexagonTracks-v1", observation_dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        check_env(exact.unwrapped, skip_render_check=True)
    plain = gym.make("HexagonTracks-v1")
    a, _ = exact.reset(seed=4)
    b, _ = plain.reset(seed=4)
    assert a.dtype == np.float64 and a in exact.observation_space
    np.testing.assert_array_equal(a.astype(np.float32), b)
