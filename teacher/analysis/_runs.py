"""Runs to compare: what one log contributes to a comparison (its mastery curve and its
issued tasks), loaded without replaying the teacher."""

from __future__ import annotations

import os
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from teacher.analysis._log import CurriculumLog, read_log_events
from teacher.analysis.errors import AnalysisError
from teacher.events import CreatedEvent, CurriculumConfig, EvaluationEvent, Event, TaskEvent

__all__ = ["Run", "load_runs", "LOG_SUFFIXES"]

LOG_SUFFIXES = (".jsonl", ".parquet", ".pq")


@dataclass(eq=False)
class Run:
    """One curriculum log reduced to what comparisons need.

    label: its group (``{teacher}`` by default). mastery: one row per evaluation round
    with columns test_set, step (NA when not reported), episode (results before the
    round), pct (% of the round's test episodes mastered). tasks: (n, d) array of issued
    tasks, in the space's canonical order and units.
    """

    source: str
    label: str
    config: CurriculumConfig
    mastery: pd.DataFrame
    tasks: np.ndarray

    @property
    def teacher(self) -> str:
        return self.config.teacher


def _events_to_run(events: Sequence[Event], source: str, label_rule: str) -> Run:
    if not events or not isinstance(events[0], CreatedEvent):
        raise AnalysisError(f"{source}: not a curriculum log (no 'created' event first)")
    config = events[0].config
    rows: dict[tuple[str | None, int | None], list[Any]] = {}
    tasks: list[list[float]] = []
    results = 0
    for e in events:
        if e.type == "result":
            results += 1
        elif isinstance(e, TaskEvent):
            tasks.append(list(e.params.values()))
        elif isinstance(e, EvaluationEvent) and e.mastered is not None:
            row = rows.setdefault((e.test_set, e.step), [e.test_set, e.step, results, 0, 0])
            row[3] += int(e.mastered)
            row[4] += 1
    mastery = pd.DataFrame(
        [[ts, step, ep, 100.0 * m / n] for ts, step, ep, m, n in rows.values()],
        columns=["test_set", "step", "episode", "pct"],
    ).astype({"step": "Int64", "episode": "int64", "pct": float})
    arr = np.asarray(tasks, dtype=float).reshape(len(tasks), config.space.dim)
    return Run(source, _label(label_rule, config, source), config, mastery, arr)


def _label(rule: str, config: CurriculumConfig, source: str) -> str:
    p = Path(source)
    fields: dict[str, Any] = {
        **{str(k): v for k, v in config.teacher_params.items()},
        "teacher": config.teacher, "name": config.name, "seed": config.seed,
        "file": p.stem, "dir": p.parent.name,
    }
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(rule) if f is not None]
    except ValueError as exc:
        raise AnalysisError(f"label rule {rule!r} is not a valid format string: {exc}") from None
    missing = [n for n in names if n.split(".")[0].split("[")[0] not in fields]
    if missing or not names:
        raise AnalysisError(
            f"label rule {rule!r} must name fields in braces among {sorted(fields)} "
            f"(unknown: {missing})" if missing else
            f"label rule {rule!r} names no field; use e.g. '{{teacher}}'"
        )
    return rule.format_map(fields)


def _expand(source: str | os.PathLike[str]) -> list[Path]:
    p = Path(source)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in LOG_SUFFIXES)
        if not found:
            raise AnalysisError(f"{p}: the directory holds no event logs "
                                f"({', '.join('*' + s for s in LOG_SUFFIXES)})")
        return found
    if not p.exists():
        raise AnalysisError(f"{p}: no such log file or run directory")
    return [p]


def load_runs(
    sources: Iterable[str | os.PathLike[str] | CurriculumLog], *, label: str = "{teacher}",
) -> list[Run]:
    """Runs from log files (JSON lines or Parquet), run directories (every log below
    them) or loaded :class:`CurriculumLog` objects.

    label: a format string over the curriculum's fields — ``teacher``, ``name``,
    ``seed``, ``file`` (the log's file name without suffix), ``dir`` (its directory's
    name) and every teacher hyper-parameter — e.g. ``"{teacher} fit_rate={fit_rate}"``.
    Runs with the same label form one group. Raises :class:`teacher.EventLogError` on a
    malformed log and :class:`AnalysisError` on a missing path or an unknown field; runs
    of different task spaces cannot be compared.
    """
    runs: list[Run] = []
    for src in sources:
        if isinstance(src, CurriculumLog):
            runs.append(_events_to_run(src.events, src.source or src.config.name, label))
            continue
        for path in _expand(src):
            runs.append(_events_to_run(read_log_events(path), str(path), label))
    if not runs:
        raise AnalysisError("nothing to compare: no logs given")
    first = runs[0]
    for r in runs[1:]:
        if r.config.space.names != first.config.space.names:
            raise AnalysisError(
                f"{r.source}: its task space ({', '.join(r.config.space.names)}) differs from "
                f"{first.source}'s ({', '.join(first.config.space.names)})"
            )
    return runs
