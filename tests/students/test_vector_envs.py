"""CurriculumWrapper inside Gymnasium's own vector environments, with a real server."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from students.client import TeacherClient
from students.sources import HttpTaskSource
from students.taskenv import TaskParamEnv
from students.wrappers import CurriculumWrapper

SPACE = {"length": (0.2, 2.0), "masspole": (0.05, 0.5)}


def _make(url: str, cid: str, rank: int):
    def make() -> gym.Env:
        env = TaskParamEnv("CartPole-v1", SPACE)
        return CurriculumWrapper(env, HttpTaskSource.factory(url, cid, worker=f"env{rank}"))

    return make


def _ids(infos: dict, mask_key: str = "_task_id") -> list[str]:
    if "task_id" not in infos:
        return []
    return [str(t) for t, m in zip(infos["task_id"], infos[mask_key], strict=True) if m]


@pytest.mark.parametrize(("vector", "mode"), [
    (SyncVectorEnv, AutoresetMode.NEXT_STEP),
    (SyncVectorEnv, AutoresetMode.SAME_STEP),
    (SyncVectorEnv, AutoresetMode.DISABLED),
    (AsyncVectorEnv, AutoresetMode.NEXT_STEP),
])
def test_every_episode_gets_a_new_task_and_is_reported_once(server, vector, mode):
    with TeacherClient(server) as client:
        cid = client.create_curriculum(
            f"vec-{vector.__name__}-{mode.value}", teacher="random",
            space={k: list(v) for k, v in SPACE.items()}, seed=0,
        )["id"]
    n = 3
    vec = vector([_make(server, cid, i) for i in range(n)], autoreset_mode=mode)
    seen: list[str] = []
    finished = 0
    try:
        _, infos = vec.reset(seed=0)
        seen += _ids(infos)
        rng = np.random.default_rng(0)
        for _ in range(120):
            _, _, term, trunc, infos = vec.step(rng.integers(0, 2, size=n))
            done = np.logical_or(term, trunc)
            finished += int(done.sum())
            seen += _ids(infos)
            if mode == AutoresetMode.DISABLED and done.any():
                _, infos = vec.reset(options={"reset_mask": done})
                seen += _ids(infos)
    finally:
        vec.close()  # closes every wrapper: queued reports are sent
    assert finished >= n  # random CartPole episodes are short: several finished
    assert len(seen) == len(set(seen)), "a task was handed to two episodes"
    assert len(seen) >= n + finished - n  # a new task at every (auto)reset
    with TeacherClient(server) as client:
        events = client.events(cid)
    results = [e for e in events if e["type"] == "result"]
    assert len(results) == finished
    reported = [e["task_id"] for e in results]
    assert len(set(reported)) == len(reported)
    assert set(reported) <= set(seen)
    # each result carries the task its episode ran on
    issued = {e["task_id"]: e["params"] for e in events if e["type"] == "task"}
    assert all(r["params"] == issued[r["task_id"]] for r in results)
