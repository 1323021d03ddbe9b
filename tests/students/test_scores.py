"""Per-episode scores and task seeds on the student side: the wrapper (seed to
``reset(seed=...)``, score from ``info`` or a callable, the task id in the final info), the
client and the HTTP source against a real server, and the PPO callback's positive value
loss checked against the advantages of a real tiny PPO run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from students import (
    CurriculumWrapper,
    HttpTaskSource,
    LocalTaskSource,
    PositiveValueLossScores,
    TeacherClient,
)
from students.errors import InvalidConfigError
from students.taskenv import TaskParamEnv
from teacher import SCHEMA_VERSION, Curriculum, CurriculumConfig, JsonlWriter, TaskSpace, read_jsonl

SPACE = {"length": (0.3, 1.0)}


def _cartpole() -> TaskParamEnv:
    return TaskParamEnv("CartPole-v1", SPACE)


def _curriculum(teacher: str = "random") -> Curriculum:
    return Curriculum(CurriculumConfig("s", teacher, TaskSpace(SPACE), seed=3))


def test_a_tasks_seed_reaches_env_reset() -> None:
    plr = LocalTaskSource(_curriculum("plr"))  # PLR chooses a seed with every level
    env = CurriculumWrapper(_cartpole(), plr)
    reference = gym.make("CartPole-v1")
    for caller_seed in (None, 5):  # the task's seed wins over the caller's
        obs, _ = env.reset(seed=caller_seed)
        assert env.task is not None and isinstance(env.task.seed, int)
        assert np.array_equal(obs, reference.reset(seed=env.task.seed)[0])
    plain = CurriculumWrapper(_cartpole(), LocalTaskSource(_curriculum("random")))
    obs, _ = plain.reset(seed=5)  # no seed with the task: the caller's, as before
    assert plain.task is not None and plain.task.seed is None
    assert np.array_equal(obs, reference.reset(seed=5)[0])


class _ScoreInInfo(gym.Wrapper):
    """An environment that knows its own per-episode score (its length, here)."""

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.t = getattr(self, "t", 0) + 1
        if terminated or truncated:
            info = {**info, "curriculum_score": float(self.t)}
            self.t = 0
        return obs, reward, terminated, truncated, info


def _finish_episodes(env: gym.Env, n: int) -> list[dict[str, Any]]:
    finals = []
    env.reset(seed=0)
    for _ in range(2000):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            finals.append(info)
            if len(finals) == n:
                return finals
            env.reset()
    raise AssertionError("episodes did not end")


def test_the_wrapper_reports_a_score_from_info_or_a_callable(tmp_path: Path) -> None:
    cur = _curriculum()
    log = tmp_path / "events.jsonl"
    source = LocalTaskSource(cur, writer=JsonlWriter(log))
    finals = _finish_episodes(CurriculumWrapper(_ScoreInInfo(_cartpole()), source), 2)
    finals += _finish_episodes(
        CurriculumWrapper(_ScoreInInfo(_cartpole()), source, score=lambda info: -1.5), 1)
    finals += _finish_episodes(CurriculumWrapper(_cartpole(), source), 1)
    source.close()
    results = [e for e in read_jsonl(log) if e.type == "result"]
    assert [r.score for r in results] == [finals[0]["curriculum_score"],
                                          finals[1]["curriculum_score"], -1.5, None]
    # the final step names the task, for a late score
    assert [f["curriculum_task_id"] for f in finals] == [r.task_id for r in results]


def test_client_and_http_source_carry_scores_and_seeds(server: str) -> None:
    with TeacherClient(server) as client:
        cid = client.create_curriculum("scores", teacher="random",
                                       space={"length": (0.3, 1.0)}, seed=1)["id"]
        a, b = client.get_tasks(cid, 2)
        assert (a.seed, b.seed) == (None, None)
        assert client.report_results(cid, [{"task_id": a.task_id, "return": 1.0,
                                            "score": 0.5}]) == (1, 0)
        source = HttpTaskSource(client, cid, worker="w")
        source.report(b, 2.0, 10)
        source.flush()  # the result is on the server: a late score may follow at once
        assert client.report_scores(cid, [{"task_id": b.task_id, "score": 0.25}]) == (1, 0)
        assert client.report_scores(cid, [{"task_id": b.task_id, "score": 0.25},
                                          {"task_id": a.task_id, "score": 0.5}]) == (0, 2)
        with pytest.raises(InvalidConfigError, match=r"scores\.0\.score"):
            client.report_scores(cid, [{"task_id": b.task_id, "score": math.nan}])
        source.close()
        events = client.events(cid)
    assert [(e["type"], e.get("score")) for e in events if e["type"] in ("result", "score")] \
        == [("result", 0.5), ("result", None), ("score", 0.25)]


class _Recorder(BaseCallback):
    """Keeps what PPO saw: each step's dones and final-step task ids, each rollout's
    advantages."""

    def __init__(self) -> None:
        super().__init__()
        self.dones: list[np.ndarray] = []
        self.ids: list[list[str | None]] = []
        self.advantages: list[np.ndarray] = []

    def _on_step(self) -> bool:
        self.dones.append(np.array(self.locals["dones"], dtype=bool))
        self.ids.append([i.get("curriculum_task_id") for i in self.locals["infos"]])
        return True

    def _on_rollout_end(self) -> None:
        self.advantages.append(np.array(self.model.rollout_buffer.advantages, dtype=np.float64))


def test_ppo_sends_each_episodes_mean_positive_advantage(tmp_path: Path) -> None:
    """Real PPO, 2 environments, rollouts of 32 steps: the late scores in the log are the
    mean positive GAE advantage of each episode, across rollout boundaries."""
    cur = _curriculum()
    log = tmp_path / "events.jsonl"
    source = LocalTaskSource(cur, writer=JsonlWriter(log))
    vec = DummyVecEnv([lambda: Monitor(CurriculumWrapper(_cartpole(), source))] * 2)
    vec.seed(0)
    model = PPO("MlpPolicy", vec, n_steps=32, batch_size=64, n_epochs=1, seed=0,
                device="cpu")
    recorder = _Recorder()
    scores = PositiveValueLossScores(
        lambda items: source.report_scores([(i["task_id"], i["score"]) for i in items]))
    model.learn(192, callback=[scores, recorder])
    source.close()
    # The same definition, computed another way: the run as one long sequence per env.
    adv = np.concatenate(recorder.advantages)
    dones = np.array(recorder.dones)
    expected: dict[str, float] = {}
    spanning = 0
    for env in range(2):
        start = 0
        for t in np.flatnonzero(dones[:, env]):
            task_id = recorder.ids[t][env]
            assert task_id is not None
            expected[task_id] = float(np.maximum(adv[start:t + 1, env], 0).mean())
            spanning += start // 32 != t // 32
            start = t + 1
    assert spanning >= 2  # the test covers episodes that span rollouts
    events = read_jsonl(log)
    got = {e.task_id: e.score for e in events if e.type == "score"}
    assert got.keys() == expected.keys()
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert scores.sent == len(expected) and scores.refused == 0
    # every score follows its result, which went out without one
    seq_of_result = {e.task_id: e.seq for e in events if e.type == "result"}
    assert all(e.seq > seq_of_result[e.task_id] for e in events if e.type == "score")
    assert json.loads(log.read_text().splitlines()[-1])["schema_version"] == SCHEMA_VERSION
