"""A small real curriculum log for demos, docs and the notebook."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from teacher.analysis._parquet import events_to_parquet
from teacher.curriculum import Curriculum, EvaluationIn, ResultIn
from teacher.events import CurriculumConfig, Event, JsonlWriter
from teacher.space import TaskSpace
from teacher.toy import ToyStudent

__all__ = ["write_toy_log"]


def write_toy_log(
    path: str | os.PathLike[str], *, episodes: int = 400, fit_rate: int = 50,
    eval_every: int = 100, batch: int = 4, seed: int = 0, teacher: str = "alp-gmm",
) -> Path:
    """Run ALP-GMM (or ``teacher``) on the toy student for ``episodes`` episodes and write
    the event log (JSON lines, or Parquet for a ``.parquet`` path). Every ``eval_every``
    episodes the student is tested on a 5 x 5 grid (test set ``grid``; mastered above a
    return of 0.75). The student is a 5 x 5 :class:`teacher.ToyStudent` gaining 20
    competence points per practice, so a few hundred episodes show real progress."""
    space = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})
    params = {"fit_rate": fit_rate, "k_range": [2, 6]} if teacher in ("alp-gmm",
                                                                    "covar-gmm") else {}
    config = CurriculumConfig(name="toy", teacher=teacher, space=space, teacher_params=params,
                              seed=seed, reward_bounds=(0.0, 1.0), mastery_threshold=0.75)
    cur = Curriculum(config)
    student = ToyStudent(grid=5, gain=20.0, random_state=seed)
    grid = [(x, y) for x in np.linspace(0.1, 0.9, 5) for y in np.linspace(0.1, 0.9, 5)]
    events: list[Event] = [cur.created_event()]
    done = 0
    while done < episodes:
        tasks = cur.issue_tasks(min(batch, episodes - done))
        events += tasks
        for t in tasks:
            ret = student.episode(list(t.params.values()))
            events += cur.report([ResultIn(t.task_id, ret, length=1, worker="toy")]).events
            done += 1
            if done % eval_every == 0:
                evals = [EvaluationIn([x, y], student.competence[student.cell([x, y])] / 100,
                                      test_set="grid", step=done) for x, y in grid]
                events += cur.record_evaluations(evals)
    out = Path(path)
    if out.suffix.lower() in (".parquet", ".pq"):
        events_to_parquet(events, out)
    else:
        with JsonlWriter(out) as w:
            w.write_many(events)
    return out
