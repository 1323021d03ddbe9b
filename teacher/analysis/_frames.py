"""Turning events into pandas tables, incrementally (so a followed log grows cheaply).

A :class:`LogBuilder` keeps plain row lists plus a replica :class:`teacher.Curriculum`
that replays every event, which is how each result gets the ALP the live teacher computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from teacher._fit import FitResult
from teacher.analysis._check import check_order
from teacher.curriculum import Curriculum
from teacher.errors import EventLogError, TeacherError
from teacher.events import (
    CreatedEvent,
    CurriculumConfig,
    EvaluationEvent,
    Event,
    FitEvent,
    ResultEvent,
    TaskEvent,
)

TASK_COLUMNS = ["seq", "time", "episode", "task_id", "origin", "component"]
RESULT_COLUMNS = ["seq", "time", "episode", "task_id", "origin", "return", "length", "worker",
                  "alp"]
EVALUATION_COLUMNS = ["seq", "time", "episode", "test_set", "step", "worker", "return",
                      "mastered"]
FIT_COLUMNS = ["seq", "time", "fit_index", "episode", "k", "criterion", "criterion_value",
               "seed"]
COMPONENT_COLUMNS = ["fit_index", "episode", "component", "weight", "alp"]

# Names of the coordinates a teacher fits beyond the task parameters.
EXTRA_COORDINATES = {"alp-gmm": ("alp",), "covar-gmm": ("time", "return")}
_RESERVED = set(TASK_COLUMNS + RESULT_COLUMNS + EVALUATION_COLUMNS)


def param_columns(names: tuple[str, ...]) -> tuple[str, ...]:
    """Column name of each parameter: the name itself, or ``param_<name>`` where the name
    would clash with a fixed column (a parameter called ``seq``, say)."""
    return tuple(f"param_{n}" if n in _RESERVED else n for n in names)


def extra_coordinates(teacher: str, n: int) -> tuple[str, ...]:
    known = EXTRA_COORDINATES.get(teacher, ())
    return known if len(known) == n else tuple(f"extra{i}" for i in range(n))


def component_of(origin: str) -> int | None:
    kind, _, index = origin.partition(":")
    return int(index) if kind == "gaussian" and index.isdigit() else None


@dataclass
class Frames:
    tasks: pd.DataFrame
    results: pd.DataFrame
    evaluations: pd.DataFrame
    fits: pd.DataFrame
    fit_components: pd.DataFrame
    covariances: dict[int, np.ndarray]


class LogBuilder:
    """Accumulates events (validated for order) and their table rows."""

    def __init__(self, created: Event):
        if not isinstance(created, CreatedEvent) or created.seq != 1:
            raise EventLogError("an event log must start with the 'created' event (seq 1)",
                                line=1)
        self.config: CurriculumConfig = created.config
        self.columns = param_columns(self.config.space.names)
        self.events: list[Event] = [created]
        self.replay_error: TeacherError | None = None
        self._replica: Curriculum | None = None
        try:
            self._replica = Curriculum(self.config, fit_mode="defer")
            self._replica.seq = 1
        except TeacherError as exc:
            self.replay_error = exc
        self._tasks: list[list[Any]] = []
        self._results: list[list[Any]] = []
        self._evaluations: list[list[Any]] = []
        self._fits: list[list[Any]] = []
        self._components: list[list[Any]] = []
        self._covariances: dict[int, np.ndarray] = {}
        self._origins: dict[str, str] = {}
        self._extra: tuple[str, ...] | None = None

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq

    @property
    def n_results(self) -> int:
        return len(self._results)

    def add(self, e: Event) -> None:
        """Append the next event (its seq must follow the last one)."""
        try:
            check_order(e, self.last_seq + 1)
        except ValueError as exc:
            raise EventLogError(f"seq {e.seq}: {exc}", line=e.seq) from None
        alp = self._replay(e)
        self.events.append(e)
        time, n = e.time, self.n_results
        if isinstance(e, TaskEvent):
            self._origins[e.task_id] = e.origin
            self._tasks.append([e.seq, time, n, e.task_id, e.origin, component_of(e.origin),
                                *e.params.values()])
        elif isinstance(e, ResultEvent):
            origin = self._origins.get(e.task_id) if e.task_id is not None else None
            self._results.append([e.seq, time, n + 1, e.task_id, origin, e.episode_return,
                                  e.length, e.worker, alp, *e.params.values()])
        elif isinstance(e, EvaluationEvent):
            self._evaluations.append([e.seq, time, n, e.test_set, e.step, e.worker,
                                      e.episode_return, e.mastered, *e.params.values()])
        elif isinstance(e, FitEvent):
            self._add_fit(e)

    def _replay(self, e: Event) -> float:
        if self._replica is None:
            return math.nan
        try:
            self._replica.apply(e)
        except TeacherError as exc:
            self.replay_error = exc
            self._replica = None
            return math.nan
        if isinstance(e, ResultEvent):
            return self._replica.teacher.record_.alps[-1]
        return math.nan

    def _add_fit(self, e: FitEvent) -> None:
        f = e.fit
        if not isinstance(f, FitResult):  # another teacher's fitted arrays: no mixture
            self._fits.append([e.seq, e.time, f.fit_index, e.episode, 0, f.kind, math.nan,
                               f.seed])
            return
        self._fits.append([e.seq, e.time, f.fit_index, e.episode, f.k, f.criterion,
                           f.criterion_value, f.seed])
        self._covariances[f.fit_index] = np.array(f.covariances)
        d = self.config.space.dim
        if self._extra is None:
            self._extra = extra_coordinates(self.config.teacher, f.means.shape[1] - d)
        for c in range(f.k):
            self._components.append([f.fit_index, e.episode, c, float(f.weights[c]),
                                     float(f.scores[c]), *f.means[c].tolist()])

    def frames(self) -> Frames:
        """The tables as they stand (fresh DataFrames; the builder can keep growing)."""
        cols = list(self.columns)
        means = [f"mean_{c}" for c in (*self.config.space.names, *(self._extra or ()))]
        floats: dict[str, Any] = dict.fromkeys(cols, float)
        tasks = _frame(self._tasks, TASK_COLUMNS + cols, {"component": "Int64", **floats})
        results = _frame(self._results, RESULT_COLUMNS + cols,
                         {"return": float, "length": "Int64", "alp": float, **floats})
        evaluations = _frame(
            self._evaluations, EVALUATION_COLUMNS + cols,
            {"return": float, "step": "Int64", "mastered": "boolean", **floats},
        )
        fits = _frame(self._fits, FIT_COLUMNS, {"criterion_value": float})
        components = _frame(self._components, COMPONENT_COLUMNS + means,
                            {"weight": float, "alp": float, **dict.fromkeys(means, float)})
        return Frames(tasks, results, evaluations, fits, components, dict(self._covariances))


def _frame(rows: list[list[Any]], columns: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for name in ("seq", "episode", "fit_index", "k", "component"):
        if name in df.columns and name not in dtypes:
            df[name] = df[name].astype("int64")
    for name, dtype in dtypes.items():
        df[name] = df[name].astype(dtype)
    if "time" in df.columns:
        df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    return df
