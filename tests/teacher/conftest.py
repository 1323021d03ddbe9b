"""Fixtures of the teacher tests: a real curriculum run written as an event log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from teacher import (
    Curriculum,
    CurriculumConfig,
    EvaluationIn,
    Event,
    JsonlWriter,
    ResultIn,
    TaskSpace,
    ToyStudent,
)

RUN_EPISODES = 240
CAPTURED = (0, 1, 39, 40, 41, 120, 175, RUN_EPISODES)  # live teacher states kept


@dataclass
class ToyRun:
    """A live ALP-GMM run on the toy student: its events, log file and teacher states
    (state_dict JSON right after N results, as the live teacher had it)."""

    config: CurriculumConfig
    events: list[Event]
    path: Path
    states: dict[int, str]
    alps: list[float]


def run_curriculum(config: CurriculumConfig, episodes: int, *, batch: int = 4, seed: int = 0,
                   eval_every: int = 80, capture: tuple[int, ...] = ()):
    """Drive ``config`` with the toy student; results come back out of order within each
    batch, one report at a time (a sync fit runs right after the result that triggers
    it). Evaluations on a 3 x 3 grid every ``eval_every`` episodes."""
    cur = Curriculum(config)
    student = ToyStudent(grid=5, gain=20.0, random_state=seed)
    rng = np.random.default_rng(seed)
    grid = [[x, y] for x in (0.1, 0.5, 0.9) for y in (0.1, 0.5, 0.9)]
    events: list[Event] = [cur.created_event()]
    states = {0: json.dumps(cur.teacher.state_dict())} if 0 in capture else {}
    done = 0
    while done < episodes:
        tasks = cur.issue_tasks(min(batch, episodes - done))
        events += tasks
        for i in rng.permutation(len(tasks)):
            t = tasks[i]
            ret = student.episode(list(t.params.values()))
            events += cur.report([ResultIn(t.task_id, ret, length=7, worker="w1")]).events
            done += 1
            if done in capture:
                states[done] = json.dumps(cur.teacher.state_dict())
            if done % eval_every == 0:
                evals = [EvaluationIn(p, student.competence[student.cell(p)] / 100,
                                      test_set="grid", step=done * 10) for p in grid]
                events += cur.record_evaluations(evals)
    return cur, events, states


def toy_config(teacher: str = "alp-gmm", **params) -> CurriculumConfig:
    if teacher == "alp-gmm" and not params:
        params = {"fit_rate": 40, "k_range": [2, 5]}
    return CurriculumConfig(
        name="toy-analysis", teacher=teacher,
        space=TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)}),
        teacher_params=params, seed=3, reward_bounds=(0.0, 1.0), mastery_threshold=0.75,
    )


def write_events(path: Path, events: list[Event]) -> Path:
    with JsonlWriter(path) as w:
        w.write_many(events)
    return path


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> ToyRun:
    config = toy_config()
    cur, events, states = run_curriculum(config, RUN_EPISODES, capture=CAPTURED)
    path = write_events(tmp_path_factory.mktemp("logs") / "toy.jsonl", events)
    return ToyRun(config, events, path, states, list(cur.teacher.record_.alps))
