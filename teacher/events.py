"""The curriculum event log: typed records, a JSON-lines writer and a tolerant reader.

Every curriculum is a sequence of events, numbered by ``seq`` from 1:

- ``created``: the full configuration (space, teacher, hyper-parameters, seed, reward
  bounds, optional mastery threshold). Always the first event.
- ``task``: a task issued by the teacher (id, parameters, origin).
- ``result``: a finished training episode (task id, parameters, return, length, worker).
- ``evaluation``: a test episode; stored and summarised, never fed to the teacher.
- ``fit``: a fitted mixture installed into the teacher at this position.

Each record carries ``seq``, ``type``, ``time`` (ISO 8601, UTC) and ``schema_version``.
The reader ignores fields it does not know (forward compatible) and rejects missing
ones, naming the line. Older versions are upgraded through :data:`UPGRADES`, one version
at a time. Version 2 added ``request_id`` to ``task`` events issued for a request that
carried one (absent otherwise): a retried request is answered with the same tasks.
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Union

import numpy as np

from teacher._fit import FitResult
from teacher.base import BASE_PARAMS, Teacher, to_tuples
from teacher.errors import EventLogError, TeacherError
from teacher.registry import make_teacher, teacher_class
from teacher.space import TaskSpace

__all__ = [
    "SCHEMA_VERSION",
    "UPGRADES",
    "CurriculumConfig",
    "CreatedEvent",
    "TaskEvent",
    "ResultEvent",
    "EvaluationEvent",
    "FitEvent",
    "Event",
    "event_to_json",
    "event_from_json",
    "JsonlWriter",
    "read_jsonl",
    "iter_jsonl",
    "utc_now",
]

SCHEMA_VERSION = 2


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no request ids: a task event of version 1 has none."""
    return d


#: version -> the function turning an event object of that version into the next one.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def utc_now() -> str:
    """Current time as ISO 8601 UTC with microseconds, e.g. 2026-01-02T03:04:05.123456Z.
    (Every event gets one: the formatted second is cached, a third of the cost.)"""
    second, micros = divmod(time.time_ns() // 1000, 1_000_000)
    return f"{_utc_second(second)}.{micros:06d}Z"


@dataclass(frozen=True)
class CurriculumConfig:
    """Everything that defines a curriculum. ``seed`` is the teacher's random_state.

    ``environment``: optional labels of what the students train on, e.g.
    ``{"id": "StumpTracks-v1", "walker": "default"}`` (the id carries the version). The
    teacher ignores them; clients compare them so that a worker never joins a curriculum
    made for another environment. None when not recorded (logs from before the field).

    ``params_version``: the teacher's hyper-parameter version ``teacher_params`` were
    written under (:attr:`teacher.base.Teacher.params_version`); None for a new
    configuration, which always takes today's defaults. :meth:`resolved` stamps today's.
    """

    name: str
    teacher: str
    space: TaskSpace
    teacher_params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = 0
    reward_bounds: tuple[float, float] | None = None
    mastery_threshold: float | None = None
    environment: dict[str, str] | None = None
    params_version: int | None = None

    def __post_init__(self) -> None:
        env = self.environment
        if env is not None and not (
            isinstance(env, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        ):
            raise TeacherError(
                f"environment must be a mapping of strings to strings or None, got {env!r}"
            )

    def make_teacher(self) -> Teacher:
        """A fresh teacher for this configuration (validates the hyper-parameters).
        Parameters of an older ``params_version`` are migrated to today's first
        (:meth:`teacher.base.Teacher.migrate_params`)."""
        for reserved in _RESERVED:
            if reserved in self.teacher_params:
                raise TeacherError(
                    f"teacher_params must not contain {reserved!r}; use the curriculum's "
                    f"{'seed' if reserved == 'random_state' else 'reward_bounds'} field"
                )
        params = {k: to_tuples(v) for k, v in self.teacher_params.items()}
        params = teacher_class(self.teacher).migrate_params(params, self.params_version)
        return make_teacher(
            self.teacher, self.space, **params, random_state=self.seed,
            reward_bounds=self.reward_bounds,
        )

    def resolved(self, teacher: Teacher | None = None) -> CurriculumConfig:
        """This configuration with every hyper-parameter written out, defaults included,
        so that its log replays the same under a later version with other defaults.
        ``teacher``: one already made from this configuration (saves making another)."""
        made = teacher if teacher is not None else self.make_teacher()
        params = {k: _lists(v) for k, v in made.get_params().items() if k not in _RESERVED}
        return replace(self, teacher_params=params, params_version=made.params_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "teacher": self.teacher,
            "space": self.space.to_json(),
            "teacher_params": _lists(dict(self.teacher_params)),
            "seed": self.seed,
            "reward_bounds": list(self.reward_bounds) if self.reward_bounds else None,
            "mastery_threshold": self.mastery_threshold,
            "environment": None if self.environment is None else dict(self.environment),
            "params_version": self.params_version,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CurriculumConfig:
        """A recorded configuration. One recorded before hyper-parameter versions existed
        (no ``params_version`` key) gets its version inferred here, the one documented
        inference (:meth:`teacher.base.Teacher.infer_params_version`)."""
        rb = d.get("reward_bounds")
        params = dict(d.get("teacher_params") or {})
        if "params_version" in d:
            version = d["params_version"]
        else:
            try:
                version = teacher_class(str(d["teacher"])).infer_params_version(params)
            except TeacherError:
                version = None  # an unknown teacher: make_teacher names it
        return cls(
            name=str(d["name"]),
            teacher=str(d["teacher"]),
            space=TaskSpace.from_json(d["space"]),
            teacher_params=params,
            seed=d.get("seed"),
            reward_bounds=(float(rb[0]), float(rb[1])) if rb is not None else None,
            mastery_threshold=(
                None if d.get("mastery_threshold") is None else float(d["mastery_threshold"])
            ),
            environment=None if d.get("environment") is None else dict(d["environment"]),
            params_version=version,
        )


#: Teacher arguments a configuration holds in its own fields (seed, reward_bounds).
_RESERVED = BASE_PARAMS


def _lists(v: Any) -> Any:
    """``v`` as JSON values: tuples become lists, numpy scalars Python numbers."""
    if isinstance(v, tuple | list):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return {k: _lists(x) for k, x in v.items()}
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class CreatedEvent:
    seq: int
    time: str
    config: CurriculumConfig
    type: str = "created"


@dataclass(frozen=True)
class TaskEvent:
    """params: {name: value} in canonical order. request_id: the client's id of the
    request that asked for this task (None without one)."""

    seq: int
    time: str
    task_id: str
    params: dict[str, float]
    origin: str
    type: str = "task"
    request_id: str | None = None


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
    fit: FitResult
    type: str = "fit"


Event = Union[CreatedEvent, TaskEvent, ResultEvent, EvaluationEvent, FitEvent]  # noqa: UP007


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
    elif isinstance(e, ResultEvent):
        out.update(task_id=e.task_id, params=e.params, length=e.length, worker=e.worker)
        out["return"] = e.episode_return
    elif isinstance(e, EvaluationEvent):
        out.update(
            params=e.params, test_set=e.test_set, step=e.step, worker=e.worker,
            mastered=e.mastered,
        )
        out["return"] = e.episode_return
    elif isinstance(e, FitEvent):
        out.update(episode=e.episode, fit=e.fit.to_json())
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
        )
    if kind == "result":
        return ResultEvent(
            seq, time, _need(d, "task_id", (str,), optional=True), _params(d),
            float(_need(d, "return", (int, float))), _need(d, "length", (int,), optional=True),
            _need(d, "worker", (str,), optional=True),
        )
    if kind == "evaluation":
        return EvaluationEvent(
            seq, time, _params(d), float(_need(d, "return", (int, float))),
            _need(d, "test_set", (str,), optional=True), _need(d, "step", (int,), optional=True),
            _need(d, "worker", (str,), optional=True),
            _need(d, "mastered", (bool,), optional=True),
        )
    if kind == "fit":
        fit = FitResult.from_json(_need(d, "fit", (dict,)))
        return FitEvent(seq, time, int(_need(d, "episode", (int,))), fit)
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
