"""Our teachers as a Syllabus curriculum, driven by Syllabus's own synchronisation
(make_multiprocessing_curriculum + GymnasiumSyncWrapper in AsyncVectorEnv workers)."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("syllabus", reason="the [syllabus] extra (syllabus-rl) is not installed")

from syllabus.core import GymnasiumSyncWrapper, make_multiprocessing_curriculum  # noqa: E402

from students.client import TeacherClient  # noqa: E402
from students.syllabus_interop import SyllabusTaskEnv, TeacherCurriculum  # noqa: E402
from students.taskenv import TaskParamEnv  # noqa: E402
from teacher import TaskSpace, make_teacher  # noqa: E402

SPACE = {"length": (0.2, 2.0), "masspole": (0.05, 0.5)}


def _train(curriculum: TeacherCurriculum, steps: int = 200) -> int:
    """Random actions in 2 AsyncVectorEnv workers; returns the finished episodes."""
    mp = make_multiprocessing_curriculum(curriculum, timeout=60)
    task_space = curriculum.task_space

    def make():
        env = SyllabusTaskEnv(TaskParamEnv("CartPole-v1", SPACE), SPACE)
        return GymnasiumSyncWrapper(env, task_space, mp.components, batch_size=1)

    envs = gym.vector.AsyncVectorEnv([make, make])
    finished = 0
    try:
        envs.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(steps):
            _, _, term, trunc, _ = envs.step(rng.integers(0, 2, size=2))
            finished += int(np.logical_or(term, trunc).sum())
    finally:
        envs.close()
    for _ in range(600):  # bounded: the curriculum thread drains the update queue
        if curriculum.episodes >= finished and mp.components.update_queue.empty():
            break
        time.sleep(0.05)
    mp.stop()
    return finished


def test_an_in_process_teacher_as_a_syllabus_curriculum():
    space = TaskSpace(SPACE)
    teacher = make_teacher("alp-gmm", space, random_state=0, fit_rate=5,
                           reward_bounds=(0.0, 500.0))
    curriculum = TeacherCurriculum.from_teacher(teacher)
    finished = _train(curriculum)
    assert finished > 5
    assert curriculum.episodes == finished == teacher.n_updates_
    assert len(teacher.record_.fits) >= 1  # enough episodes to fit the mixture


def test_a_server_curriculum_as_a_syllabus_curriculum(server):
    with TeacherClient(server) as client:
        cid = client.create_curriculum(
            "syllabus", teacher="random", space={k: list(v) for k, v in SPACE.items()}, seed=0,
        )["id"]
        curriculum = TeacherCurriculum.from_server(client, cid)
        finished = _train(curriculum)
        events = client.events(cid)
    results = [e for e in events if e["type"] == "result"]
    assert finished > 5 and len(results) == finished
    assert {r["worker"] for r in results} == {"syllabus"}
    issued = {e["task_id"]: e["params"] for e in events if e["type"] == "task"}
    assert all(r["params"] == issued[r["task_id"]] for r in results)
