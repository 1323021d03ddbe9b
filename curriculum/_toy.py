"""Run a teacher on the toy student, logging every event like a server would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from teacher import (
    Curriculum,
    CurriculumConfig,
    EvaluationIn,
    JsonlWriter,
    ResultIn,
    ToyStudent,
)

TEST_SET = "cells"


def run_toy(
    teacher: str, episodes: int, seed: int, out: Path, params: dict[str, Any],
    *, every: int = 1000,
) -> tuple[Path, list[tuple[int, float]]]:
    """Returns the log path and (episode, % mastered) every ``every`` episodes and at the
    end. Each of those rounds is also logged as evaluation events, one per cell of the
    grid (test set ``cells``, at the cell's centre, step = episodes so far, return =
    competence / 100, mastered above 0.75), so the log's mastery is the printed score."""
    if episodes < 1:
        raise ValueError(f"--episodes must be a positive integer, got {episodes}")
    student = ToyStudent(random_state=seed)
    config = CurriculumConfig(
        name=f"toy-{teacher}-{seed}", teacher=teacher, space=student.space,
        teacher_params=params, seed=seed, reward_bounds=None, mastery_threshold=0.75,
    )
    cur = Curriculum(config)  # validates teacher and hyper-parameters before any I/O
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{config.name}.jsonl"
    path.unlink(missing_ok=True)
    centres = (np.arange(student.grid) + 0.5) / student.grid
    cells = [(x, y) for x in centres for y in centres]
    scores = []
    with JsonlWriter(path) as log:
        log.write(cur.created_event())
        for ep in range(1, episodes + 1):
            (task,) = cur.issue_tasks(1)
            ret = student.episode(list(task.params.values()))
            log.write_many([task, *cur.report([ResultIn(task.task_id, ret)]).events])
            if ep % every == 0 or ep == episodes:
                tests = [EvaluationIn([x, y], student.competence[student.cell([x, y])] / 100,
                                      test_set=TEST_SET, step=ep, worker="toy")
                         for x, y in cells]
                log.write_many(cur.record_evaluations(tests))
                scores.append((ep, student.score()))
    return path, scores
