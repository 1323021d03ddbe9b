"""One teacher-like object on one toy student, timed: the loop the comparison benchmarks
share (ours and a reference implementation are driven the same way)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from teacher import ToyStudent

__all__ = ["timed_run"]


def timed_run(student: ToyStudent, sample: Callable[[], Any],
              update: Callable[[Any, float], Any], episodes: int,
              every: int = 1000, at: Collection[int] | None = None
              ) -> tuple[list[float], float]:
    """Run ``episodes`` episodes; returns the student's % mastered after every ``every``
    episodes (or after each episode count in ``at``) and the teacher's CPU seconds
    (process time around ``sample`` and ``update`` only)."""
    clock = time.process_time
    checkpoints = frozenset(range(every, episodes + 1, every) if at is None else at)
    scores: list[float] = []
    cpu = 0.0
    for ep in range(1, episodes + 1):
        t0 = clock()
        task = sample()
        t1 = clock()
        reward = student.episode(task)
        t2 = clock()
        update(task, reward)
        cpu += (t1 - t0) + (clock() - t2)
        if ep in checkpoints:
            scores.append(student.score())
    return scores, cpu
