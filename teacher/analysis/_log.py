"""A loaded curriculum log: the events, their configuration and pandas tables."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from teacher.analysis._frames import LogBuilder, param_columns
from teacher.analysis._parquet import events_from_parquet
from teacher.analysis.errors import AnalysisError, EventLogWarning
from teacher.errors import EventLogError, TeacherError
from teacher.events import CurriculumConfig, Event, FitEvent, read_jsonl
from teacher.space import TaskSpace

__all__ = ["CurriculumLog", "load_log", "read_log_events"]

_PARQUET_MAGIC = b"PAR1"
_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(eq=False, repr=False)
class CurriculumLog:
    """One curriculum's event log as tables.

    Times are pandas UTC timestamps; parameter columns (one per task parameter, in the
    space's canonical order, named as in ``param_columns``) are in the space's units.

    tasks: seq, time, episode (results recorded before the task was issued), task_id,
        origin (``bootstrap``, ``random``, ``gaussian:<i>``, ...), component (i of
        ``gaussian:<i>``, else NA), parameters.
    results: seq, time, episode (1-based count of results, this one included), task_id,
        origin (of the task it answers), return (raw), length, worker, alp (the ALP the
        teacher computed for it, from exact replay; NaN where it has none), parameters.
    evaluations: seq, time, episode (results recorded before it), test_set, step, worker,
        return, mastered (NA without a mastery threshold), parameters.
    fits: seq, time, fit_index (1, 2, ...), episode (updates when installed), k,
        criterion, criterion_value, seed.
    fit_components: one row per Gaussian: fit_index, episode, component, weight, alp (the
        component's interest: mean ALP for ALP-GMM, competence trend for Covar-GMM,
        floored at 0), mean_<parameter>... and mean_<extra coordinate>.
    covariances: fit_index -> array (k, D, D) over [parameters..., extra coordinates].
    error: for a log loaded with ``strict=False``, the error it was cut at.
    replay_error: why exact replay stopped early (the ``alp`` column is NaN after it).
    """

    events: list[Event]
    config: CurriculumConfig
    tasks: pd.DataFrame
    results: pd.DataFrame
    evaluations: pd.DataFrame
    fits: pd.DataFrame
    fit_components: pd.DataFrame
    covariances: dict[int, np.ndarray] = field(default_factory=dict)
    source: str | None = None
    error: EventLogError | None = None
    replay_error: TeacherError | None = None

    @classmethod
    def from_events(
        cls,
        events: Iterable[Event],
        *,
        source: str | None = None,
        error: EventLogError | None = None,
    ) -> CurriculumLog:
        """Build the tables from typed events (the first must be ``created``)."""
        it = iter(events)
        first = next(it, None)
        if first is None:
            raise EventLogError(f"{source or 'log'}: the log is empty (no 'created' event)",
                                line=1)
        builder = LogBuilder(first)
        for e in it:
            builder.add(e)
        return cls.from_builder(builder, source=source, error=error)

    @classmethod
    def from_builder(
        cls, builder: LogBuilder, *, source: str | None = None,
        error: EventLogError | None = None,
    ) -> CurriculumLog:
        f = builder.frames()
        if builder.replay_error is not None:
            warnings.warn(
                f"{source or 'log'}: exact replay stopped early ({builder.replay_error}); "
                "the results' alp column is NaN from there on", EventLogWarning, stacklevel=3,
            )
        return cls(list(builder.events), builder.config, f.tasks, f.results, f.evaluations,
                   f.fits, f.fit_components, f.covariances, source, error,
                   builder.replay_error)

    # -- description ---------------------------------------------------------------------
    @property
    def space(self) -> TaskSpace:
        return self.config.space

    @property
    def param_names(self) -> tuple[str, ...]:
        """Task parameter names in canonical order."""
        return self.config.space.names

    @property
    def param_columns(self) -> tuple[str, ...]:
        """The table column of each parameter (``param_<name>`` only on a name clash)."""
        return param_columns(self.param_names)

    @property
    def coordinate_names(self) -> tuple[str, ...]:
        """Names of the fitted coordinates: parameters, then extras such as ``alp``."""
        means = [c for c in self.fit_components.columns if c.startswith("mean_")]
        return tuple(c[len("mean_"):] for c in means)

    def counts(self) -> dict[str, int]:
        return {
            "events": len(self.events), "tasks": len(self.tasks),
            "results": len(self.results), "evaluations": len(self.evaluations),
            "fits": len(self.fits),
        }

    def summary(self) -> str:
        """One line: name, teacher, counts."""
        c = self.counts()
        counts = ", ".join(f"{v} {k}" for k, v in c.items())
        cut = f"; cut at line {self.error.line}" if self.error is not None else ""
        return f"curriculum {self.config.name!r} ({self.config.teacher}): {counts}{cut}"

    def __repr__(self) -> str:
        return f"<CurriculumLog {self.summary()}>"

    # -- fits ----------------------------------------------------------------------------
    def resolve_fit(self, fit_index: int) -> int:
        """The logged fit_index of ``fit_index``: itself if positive, counted from the last
        fit if negative (-1 is the last fit)."""
        indices = self.fits["fit_index"].tolist()
        if not indices:
            why = (
                "none was logged yet" if self.config.teacher in ("alp-gmm", "covar-gmm")
                else f"teacher {self.config.teacher!r} does not fit mixtures"
            )
            raise AnalysisError(f"the log has no fits ({why})")
        if isinstance(fit_index, bool) or not isinstance(fit_index, int | np.integer):
            raise AnalysisError(f"fit_index must be an integer, got {fit_index!r}")
        if fit_index < 0 and -fit_index <= len(indices):
            return int(indices[fit_index])
        if fit_index > 0 and fit_index in indices:
            return int(fit_index)
        raise AnalysisError(
            f"fit_index {fit_index} is not in the log; it holds fits {indices[0]}..{indices[-1]}"
            f" ({len(indices)} fits; negative values count from the last)"
        )

    def fit_event(self, fit_index: int = -1) -> FitEvent:
        idx = self.resolve_fit(fit_index)
        seq = int(self.fits.loc[self.fits["fit_index"] == idx, "seq"].iloc[0])
        e = self.events[seq - 1]
        assert isinstance(e, FitEvent)
        return e

    def covariance(
        self, fit_index: int = -1, component: int | None = None,
        dims: tuple[str, ...] | None = None,
    ) -> np.ndarray:
        """Covariances of a fit: (k, D, D), or (D, D) for one component; restricted to
        ``dims`` (coordinate names, e.g. two parameters) when given."""
        cov = self.covariances[self.resolve_fit(fit_index)]
        if dims is not None:
            ix = [self.coordinate_index(n) for n in dims]
            cov = cov[:, ix][:, :, ix]
        if component is None:
            return cov
        if not 0 <= component < cov.shape[0]:
            raise AnalysisError(
                f"component must be in [0, {cov.shape[0] - 1}] for this fit, got {component}"
            )
        return cov[component]

    def coordinate_index(self, name: str) -> int:
        """Position of a parameter or extra coordinate (such as ``alp``) in a fit."""
        names = self.coordinate_names or self.param_names
        if name not in names:
            raise AnalysisError(f"unknown dimension {name!r}; expected one of {list(names)}")
        return names.index(name)


def load_log(path: str | os.PathLike[str], *, strict: bool = True) -> CurriculumLog:
    """Load a JSON-lines or Parquet event log (told apart by the Parquet magic bytes or a
    ``.parquet``/``.pq`` suffix).

    strict=True raises :class:`teacher.EventLogError` at the first malformed event,
    naming the file, the line (Parquet: row) and the problem. strict=False instead warns
    (:class:`EventLogWarning`) and loads every valid event before it (``log.error``
    keeps the error); a file that cannot be read at all still raises.
    """
    p = Path(path)
    try:
        events = read_log_events(p)
    except EventLogError as error:
        if strict or not error.valid_events:
            raise error from None
        warnings.warn(
            f"{error}; loaded the {len(error.valid_events)} valid events before it",
            EventLogWarning, stacklevel=2,
        )
        return CurriculumLog.from_events(error.valid_events, source=str(p), error=error)
    return CurriculumLog.from_events(events, source=str(p))


def read_log_events(path: str | os.PathLike[str]) -> list[Event]:
    """The typed events of a JSON-lines or Parquet log file, without building tables or
    replaying the teacher. Raises :class:`teacher.EventLogError` naming the file (and the
    line, for JSON lines) on a malformed or unreadable log."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise EventLogError(f"{p}: cannot read the log: {exc.strerror or exc}") from None
    is_parquet = head == _PARQUET_MAGIC or p.suffix.lower() in _PARQUET_SUFFIXES
    try:
        return events_from_parquet(p) if is_parquet else read_jsonl(p)
    except EventLogError as exc:
        if is_parquet:
            raise
        raise EventLogError(f"{p}: {exc}", line=exc.line,
                            valid_events=exc.valid_events) from None
    except UnicodeDecodeError as exc:
        raise EventLogError(f"{p}: not a text JSON-lines log nor Parquet: {exc}") from None
