"""Task leases and idempotent evaluations: the book-keeping behind two event rules.

A task issued to a worker is pending until its result arrives. A worker that is stopped
or dies never reports, so each pending task holds a lease of ``lease_seconds`` from the
time of its ``task`` event; the first write to the curriculum after it runs out logs an
``expired`` event naming every such task. Replays apply that event as logged (no clock is
read), so a replay rebuilds exactly the live pending set.

A late result for an expired task is accepted (the episode was played on a task this
teacher issued, so it is as informative as any other) and counted once, like any result.

An evaluation is identified by (test set, training step, worker, task): the same one
reported again with the same return (a worker re-sending after a restart) is acknowledged
and not stored twice; with another return it is a conflict.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

__all__ = ["overdue_tasks", "evaluation_key", "EvaluationKey"]

EvaluationKey = tuple[str | None, int, str | None, tuple[tuple[str, float], ...]]


def _parse(stamp: str) -> _dt.datetime:
    """An event time (ISO 8601 UTC, ``Z`` suffix) as an aware datetime."""
    return _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def overdue_tasks(issued: Mapping[str, str], now: str, lease_seconds: float) -> list[str]:
    """Ids of the tasks in ``issued`` (task id -> issue time) whose lease of
    ``lease_seconds`` had run out at ``now``, in issue order."""
    limit = _parse(now) - _dt.timedelta(seconds=lease_seconds)
    return [tid for tid, stamp in issued.items() if _parse(stamp) <= limit]


def evaluation_key(test_set: str | None, step: int | None, worker: str | None,
                   params: Mapping[str, float]) -> EvaluationKey | None:
    """The identity of an evaluation episode, or None when it has no step (then it
    cannot be told apart from a later one and is always stored)."""
    if step is None:
        return None
    return (test_set, step, worker, tuple(params.items()))


def keys_to_json(keys: Mapping[EvaluationKey, float]) -> list[list[Any]]:
    return [[ts, step, w, [list(p) for p in params], ret]
            for (ts, step, w, params), ret in keys.items()]


def keys_from_json(rows: list[list[Any]]) -> dict[EvaluationKey, float]:
    return {
        (ts, int(step), w, tuple((str(n), float(v)) for n, v in params)): float(ret)
        for ts, step, w, params, ret in rows
    }
