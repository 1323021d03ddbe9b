"""The curriculum event log: typed records, a JSON-lines writer and a tolerant reader.

Every curriculum is a sequence of events, numbered by ``seq`` from 1:

- ``created``: the full configuration (space, teacher, hyper-parameters, seed, reward
  bounds, optional mastery threshold). Always the first event.
- ``task``: a task issued by the teacher (id, parameters, origin).
- ``result``: a finished training episode (task id, parameters, return, length, worker).
- ``evaluation``: a test episode; stored and summarised, never fed to the teacher.
- ``fit``: a fit (a Gaussian mixture, or another teacher's fitted arrays) installed into
  the teacher at this position.
- ``expired``: pending tasks whose lease ran out.
- ``score``: a per-episode score for an already reported result (e.g. PLR's positive value
  loss, known only once the worker's rollout ends).

Each record carries ``seq``, ``type``, ``time`` (ISO 8601, UTC) and ``schema_version``.
The reader ignores fields it does not know (forward compatible) and rejects missing
ones, naming the line. Older versions are upgraded through :data:`UPGRADES`, one version
at a time. Version 2 added ``request_id`` to ``task`` events issued for a request that
carried one (absent otherwise): a retried request is answered with the same tasks.
Version 3 added ``expired``. Version 4 added the optional ``seed`` of a ``task`` (the
environment seed that regenerates a level), the optional ``score`` of a ``result``, the
``score`` event, and the ``kind`` of a fit (absent: a Gaussian mixture); older logs have
none of them and load unchanged. Version 5 writes a fit's arrays whose values are all
float32 (networks' weights) as base64 float32 under ``"f4"``, half the bytes; other arrays
keep base64 float64 under ``"f8"``, the only form older logs hold.
:func:`teacher.curriculum.replay` rebuilds the teacher.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

from teacher._fit import AnyFit, fit_from_json
from teacher.config import CurriculumConfig
from teacher.errors import EventLogError, TeacherError

__all__ = [
    "SCHEMA_VERSION",
    "ExpiredEvent",
    "UPGRADES",
    "CurriculumConfig",
    "CreatedEvent",
    "TaskEvent",
    "ResultEvent",
    "EvaluationEvent",
    "FitEvent",
    "ScoreEvent",
    "Event",
    "event_to_json",
    "event_from_json",
    "JsonlWriter",
    "read_jsonl",
    "iter_jsonl",
    "utc_now",
]

SCHEMA_VERSION = 5


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no request ids: a task event of version 1 has none."""
    return d


def _v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
    """Version 3 added the ``expired`` event (task leases); older logs have none."""
    return d


def _v3_to_v4(d: dict[str, Any]) -> dict[str, Any]:
    """Version 4 added task seeds, result scores, the ``score`` event and fit kinds, all
    optional: a version-3 event has none (its fits are Gaussian mixtures)."""
    return d


def _v4_to_v5(d: dict[str, Any]) -> dict[str, Any]:
    """Version 5 lets a fit's arrays carry float32 values as ``"f4"`` (``teacher._arrays``);
    a version-4 event holds ``"f8"`` only, which version 5 reads unchanged."""
    return d


#: version -> the function turning an event object of that version into the next one.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5,
}


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def utc_now() -> str:
    """Current time as ISO 8601 UTC with microseconds, e.g. 2026-01-02T03:04:05.123456Z.
    (Every event gets one: the formatted second is cached, a third of the cost.)"""
    second, micros = divmod(time.time_ns() // 1000, 1_000_000)
    return f"{_utc_second(second)}.{micros:06d}Z"


@dataclass(frozen=True)
class CreatedEvent:
    seq: int
    time: str
    config: CurriculumConfig
    type: str = "created"


@dataclass(frozen=True)
class TaskEvent:
    """params: {name: value} in canonical order. request_id: the client's id of the
    request that asked for this task (None without one). seed: the environment seed the
    teacher chose with the task (a level to replay), None if it leaves seeding to the
    worker."""

    seq: int
    time: str
    task_id: str
    params: dict[str, float]
    origin: str
    type: str = "task"
    request_id: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ResultEvent:
    seq: int
    time: str
    task_id: str | None
    params: dict[str, float]
    episode_return: float
    length: int | None = None
    worker: str | None = None
    type: str = "result"
    score: float | None = None


@dataclass(frozen=True)
class ScoreEvent:
    """A per-episode ``score`` for the result of ``task_id`` reported earlier (params are
    that task's)."""

    seq: int
    time: str
    task_id: str
    params: dict[str, float]
    score: float
    type: str = "score"


@dataclass(frozen=True)
class EvaluationEvent:
    """``mastered`` is return > the curriculum's mastery threshold (None without one)."""

    seq: int
    time: str
    params: dict[str, float]
    episode_return: float
    test_set: str | None = None
    step: int | None = None
    worker: str | None = None
    mastered: bool | None = None
    type: str = "evaluation"


@dataclass(frozen=True)
class FitEvent:
    """A fit installed after ``episode`` results (the teacher's update count)."""

    seq: int
    time: str
    episode: int
    fit: AnyFit
    type: str = "fit"


@dataclass(frozen=True)
class ExpiredEvent:
    """Pending tasks whose lease (``lease_seconds`` from their issue) ran out unreported;
    they are no longer pending (a late result is still accepted)."""

    seq: int
    time: str
    task_ids: tuple[str, ...]
    lease_seconds: float
    type: str = "expired"


Event = Union[  # noqa: UP007
    CreatedEvent, TaskEvent, ResultEvent, EvaluationEvent, FitEvent, ExpiredEvent, ScoreEvent
]


def event_to_json(e: Event) -> dict[str, Any]:
    """The JSON object of an event (``return`` is the key of ``episode_return``)."""
    out: dict[str, Any] = {
        "seq": e.seq, "type": e.type, "time": e.time, "schema_version": SCHEMA_VERSION,
    }
    if isinstance(e, CreatedEvent):
        out["config"] = e.config.to_json()
    elif isinstance(e, TaskEvent):
        out.update(task_id=e.task_id, params=e.params, origin=e.origin)
        if e.request_id is not None:
            out["request_id"] = e.request_id
        if e.seed is not None:
            out["seed"] = e.seed
    elif isinstance(e, ResultEvent):
        out.update(task_id=e.task_id, params=e.params, length=e.length, worker=e.worker)
        out["return"] = e.episode_return
        if e.score is not None:
            out["score"] = e.score
    elif isinstance(e, ScoreEvent):
        out.update(task_id=e.task_id, params=e.params, score=e.score)
    elif isinstance(e, EvaluationEvent):
        out.update(
            params=e.params, test_set=e.test_set, step=e.step, worker=e.worker,
            mastered=e.mastered,
        )
        out["return"] = e.episode_return
    elif isinstance(e, FitEvent):
        out.update(episode=e.episode, fit=e.fit.to_json())
    elif isinstance(e, ExpiredEvent):
        out.update(task_ids=list(e.task_ids), lease_seconds=e.lease_seconds)
    return out


def _need(d: dict[str, Any], key: str, kinds: tuple[type, ...], *, optional: bool = False):
    if key not in d:
        if optional:
            return None
        raise ValueError(f"missing field {key!r}")
    v = d[key]
    if v is None and optional:
        return None
    if isinstance(v, bool) and bool not in kinds:
        raise ValueError(f"field {key!r} must be {'/'.join(k.__name__ for k in kinds)}, got {v!r}")
    if not isinstance(v, kinds):
        raise ValueError(f"field {key!r} must be {'/'.join(k.__name__ for k in kinds)}, got {v!r}")
    return v


def _finite(v: int | float, key: str) -> float:
    if not math.isfinite(v):
        raise ValueError(f"field {key!r} must be a finite number, got {v!r}")
    return float(v)


def _params(d: dict[str, Any]) -> dict[str, float]:
    p = _need(d, "params", (dict,))
    out = {}
    for k, v in p.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"params[{k!r}] must be a finite number, got {v!r}")
        out[str(k)] = float(v)
    return out


def event_from_json(d: Any) -> Event:
    """Parse one event object; raises ValueError naming the problem."""
    if not isinstance(d, dict):
        raise ValueError(f"an event must be a JSON object, got {type(d).__name__}")
    version = _need(d, "schema_version", (int,))
    if version != SCHEMA_VERSION:
        if version not in UPGRADES:
            known = ", ".join(str(v) for v in [*sorted(UPGRADES), SCHEMA_VERSION])
            raise ValueError(f"unknown schema_version {version!r}; this reader knows {known}")
        while version in UPGRADES:
            d = UPGRADES[version](d)
            version += 1
    seq = _need(d, "seq", (int,))
    kind = _need(d, "type", (str,))
    time = _need(d, "time", (str,))
    if kind == "created":
        try:
            config = CurriculumConfig.from_json(_need(d, "config", (dict,)))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"config is missing or malformed: {exc}") from None
        return CreatedEvent(seq, time, config)
    if kind == "task":
        return TaskEvent(
            seq, time, _need(d, "task_id", (str,)), _params(d), _need(d, "origin", (str,)),
            request_id=_need(d, "request_id", (str,), optional=True),
            seed=_need(d, "seed", (int,), optional=True),
        )
    if kind == "result":
        score = _need(d, "score", (int, float), optional=True)
        return ResultEvent(
            seq, time, _need(d, "task_id", (str,), optional=True), _params(d),
            float(_need(d, "return", (int, float))), _need(d, "length", (int,), optional=True),
            _need(d, "worker", (str,), optional=True),
            score=None if score is None else _finite(score, "score"),
        )
    if kind == "score":
        return ScoreEvent(seq, time, _need(d, "task_id", (str,)), _params(d),
                          _finite(_need(d, "score", (int, float)), "score"))
    if kind == "evaluation":
        return EvaluationEvent(
            seq, time, _params(d), float(_need(d, "return", (int, float))),
            _need(d, "test_set", (str,), optional=True), _need(d, "step", (int,), optional=True),
            _need(d, "worker", (str,), optional=True),
            _need(d, "mastered", (bool,), optional=True),
        )
    if kind == "fit":
        fit = fit_from_json(_need(d, "fit", (dict,)))
        return FitEvent(seq, time, int(_need(d, "episode", (int,))), fit)
    if kind == "expired":
        ids = _need(d, "task_ids", (list,))
        if not ids or not all(isinstance(i, str) for i in ids):
            raise ValueError(f"field 'task_ids' must be a non-empty list of strings, got {ids!r}")
        lease = _need(d, "lease_seconds", (int, float))
        return ExpiredEvent(seq, time, tuple(ids), float(lease))
    raise ValueError(f"unknown event type {kind!r}")


class JsonlWriter:
    """Appends events to a JSON-lines file, one object per line.

    ``fsync=True`` makes every write durable against power loss (slower).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False):
        self.path = Path(path)
        self.fsync = fsync
        self._fh: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: Event | dict[str, Any]) -> None:
        self.write_many([event])

    def write_many(self, events: Iterable[Event | dict[str, Any]]) -> None:
        lines = [
            json.dumps(e if isinstance(e, dict) else event_to_json(e), allow_nan=False) + "\n"
            for e in events
        ]
        self._fh.write("".join(lines))
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_jsonl(lines: Iterable[str]) -> Iterator[Event]:
    """Parse JSON lines lazily; blank lines are skipped. Raises EventLogError naming the
    1-based line (its ``valid_events`` is empty here: use :func:`read_jsonl` for that)."""
    expected = 1
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = event_from_json(json.loads(line))
        except json.JSONDecodeError as exc:
            raise EventLogError(
                f"line {i}: not valid JSON ({exc.msg}); the line may be half-written", line=i
            ) from None
        except (ValueError, TeacherError) as exc:
            raise EventLogError(f"line {i}: {exc}", line=i) from None
        if event.seq != expected:
            raise EventLogError(
                f"line {i}: seq must be {expected} (events are numbered from 1 without gaps), "
                f"got {event.seq}",
                line=i,
            )
        if (event.seq == 1) != isinstance(event, CreatedEvent):
            raise EventLogError(
                f"line {i}: the first event, and only it, must be 'created', got {event.type!r}",
                line=i,
            )
        expected += 1
        yield event


def read_jsonl(source: str | os.PathLike[str] | Iterable[str]) -> list[Event]:
    """Read a whole JSON-lines log (a path or an iterable of lines).

    On a malformed line raises EventLogError whose ``line`` names it and whose
    ``valid_events`` holds every event before it.
    """
    events: list[Event] = []
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8") as fh:
            return _collect(fh, events)
    return _collect(source, events)


def _collect(lines: Iterable[str], events: list[Event]) -> list[Event]:
    try:
        for e in iter_jsonl(lines):
            events.append(e)
    except EventLogError as exc:
        exc.valid_events = events
        raise
    return events
