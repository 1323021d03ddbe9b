"""Rendering (rgb_array, human on a dummy display) and episode recording."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import imageio.v2 as imageio
import numpy as np
import pytest

import envs


@pytest.mark.parametrize("env_id", envs.ENV_IDS)
@pytest.mark.parametrize("walker", envs.WALKERS)
def test_rgb_array_frames(env_id: str, walker: str) -> None:
    env = gym.make(env_id, walker=walker, render_mode="rgb_array")
    env.reset(seed=0, options={"task": envs.test_set(env_id, "paper50")[0]})
    frames = [env.render()]
    for _ in range(3):
        env.step(env.action_space.sample())
        frames.append(env.render())
    for frame in frames:
        assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    assert len(np.unique(frames[-1].reshape(-1, 3), axis=0)) > 10  # not a blank frame
    env.close()


def test_human_mode_runs_on_a_dummy_display(dummy_display: None) -> None:
    env = gym.make("HexagonTracks-v1", walker="quadruped", render_mode="human")
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample())
    env.close()
    env.close()  # closing twice is allowed


def test_render_without_mode_warns_and_returns_none() -> None:
    env = envs.StumpTracksEnv()
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None


def test_record_episode_to_gif(tmp_path: Path) -> None:
    path = tmp_path / "stumps.gif"
    task = {"stump_height": 1.5, "obstacle_spacing": 2.0}
    result = envs.record_episode(
        "StumpTracks-v1", task, path, walker="short", max_steps=10, frame_skip=2
    )
    assert result.path == path and result.task == task
    assert result.steps <= 10 and result.frames == 1 + (result.steps + 1) // 2
    frames = imageio.mimread(path)
    assert len(frames) == result.frames and frames[0].shape[:2] == (400, 600)


def test_record_episode_to_mp4_with_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "hexagons.mp4"
    calls = []

    def policy(obs: np.ndarray) -> tuple[np.ndarray, None]:  # SB3 predict() style
        calls.append(obs.shape)
        return np.zeros(8, dtype=np.float32), None

    result = envs.record_episode(
        "HexagonTracks-v1", None, path, policy=policy, walker="quadruped", max_steps=6
    )
    assert calls == [(34,)] * result.steps and result.steps == 6 and not result.terminated
    reader = imageio.get_reader(path)
    assert sum(1 for _ in reader) == 7
    reader.close()


def test_record_episode_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        envs.record_episode("StumpTracks-v1", None, tmp_path / "x.avi")
    with pytest.raises(envs.UnknownEnvironmentError):
        envs.record_episode("Nope-v1", None, tmp_path / "x.gif")
    with pytest.raises(ValueError, match="frame_skip must be a positive integer, got 0"):
        envs.record_episode("StumpTracks-v1", None, tmp_path / "x.gif", frame_skip=0)
    assert not list(tmp_path.iterdir())
