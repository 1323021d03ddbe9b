"""Exact replay at any point of a log, and counterfactual runs with other settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from teacher._fit import run_fit
from teacher.analysis._log import CurriculumLog
from teacher.analysis.errors import AnalysisError
from teacher.base import Teacher
from teacher.curriculum import replay
from teacher.events import (
    CreatedEvent,
    CurriculumConfig,
    Event,
    FitEvent,
    ResultEvent,
    TaskEvent,
)

__all__ = ["teacher_at", "counterfactual", "CounterfactualResult"]

_KEEP: Any = object()


def teacher_at(
    log: CurriculumLog, episode: int | None = None, *, seq: int | None = None
) -> Teacher:
    """The teacher exactly as it was live, rebuilt by replaying the log.

    episode=N: right after the N-th result was recorded, with the fit it triggered if
    that fit was installed at once (as in-process ``fit_mode="sync"`` runs do); 0 is the
    fresh teacher. seq=S: right after event S. Give exactly one of the two. Raises
    :class:`teacher.ReplayDivergedError` if the log cannot be reproduced.
    """
    if (episode is None) == (seq is None):
        raise AnalysisError("give exactly one of episode= or seq=")
    if seq is not None:
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= len(log.events):
            raise AnalysisError(f"seq must be an integer in [1, {len(log.events)}], got {seq!r}")
        return replay(log.events, until_seq=seq)
    n = len(log.results)
    if isinstance(episode, bool) or not isinstance(episode, int) or not 0 <= episode <= n:
        raise AnalysisError(
            f"episode must be an integer in [0, {n}] (the log holds {n} results), "
            f"got {episode!r}"
        )
    if episode == 0:
        return replay(log.events, until_seq=1)
    until = int(log.results["seq"].iloc[episode - 1])
    while until < len(log.events):
        nxt = log.events[until]  # the event numbered until + 1
        if not (isinstance(nxt, FitEvent) and nxt.episode == episode):
            break
        until = nxt.seq
    return replay(log.events, until_seq=until)


@dataclass(eq=False, repr=False)
class CounterfactualResult:
    """What another teacher would have done with the same student experience.

    log: the counterfactual run as a :class:`CurriculumLog`: its own ``created`` event,
        the task it would have sampled at each logged task position (same task ids), the
        logged results, and its own fits — so every table and plot works on it.
    teacher: the counterfactual teacher at the end of the log.
    live: the log it was computed from.
    """

    config: CurriculumConfig
    teacher: Teacher
    log: CurriculumLog
    live: CurriculumLog

    @property
    def tasks(self) -> pd.DataFrame:
        return self.log.tasks

    @property
    def results(self) -> pd.DataFrame:
        return self.log.results

    @property
    def fits(self) -> pd.DataFrame:
        return self.log.fits

    @property
    def fit_components(self) -> pd.DataFrame:
        return self.log.fit_components

    def comparison(self) -> pd.DataFrame:
        """One row per logged task: task_id, episode, origin_live, origin_cf, each
        parameter ``<col>_live`` / ``<col>_cf``, and ``same`` (identical task and origin)."""
        cols = list(self.live.param_columns)
        keep = ["task_id", "episode", "origin", *cols]
        live = self.live.tasks[keep]
        cf = self.log.tasks[["task_id", "origin", *cols]]
        out = live.merge(cf, on="task_id", suffixes=("_live", "_cf"), validate="one_to_one")
        same = out["origin_live"] == out["origin_cf"]
        for c in cols:
            same &= out[f"{c}_live"] == out[f"{c}_cf"]
        out["same"] = same
        return out

    def __repr__(self) -> str:
        same = float(self.comparison()["same"].mean()) if len(self.tasks) else float("nan")
        return (f"<CounterfactualResult {self.config.teacher} {self.config.teacher_params}: "
                f"{len(self.fits)} fits (live {len(self.live.fits)}), "
                f"{100 * same:.0f}% of tasks identical>")


def counterfactual(
    log: CurriculumLog,
    teacher: str | None = None,
    *,
    seed: int | None = _KEEP,
    reward_bounds: tuple[float, float] | None = _KEEP,
    **hyperparameters: Any,
) -> CounterfactualResult:
    """Feed the logged (task, return) stream, in order, through a fresh teacher.

    teacher: another teacher's name (``"riac"``...), or None for the logged one. The
    logged hyper-parameters are kept (same teacher only) and ``hyperparameters``
    override them; ``seed`` and ``reward_bounds`` override the curriculum's. At each
    logged task the teacher samples one task (what it would have issued); each logged
    result goes through ``observe`` and a due fit is run and installed at once (sync).
    With unchanged settings this reproduces a sync-mode run exactly; where the live fits
    were installed later (a server computing them in the background) tasks sampled
    between a fit's trigger and its installation can differ.
    """
    base = log.config
    name = base.teacher if teacher is None else teacher
    if "random_state" in hyperparameters:
        raise AnalysisError("pass seed=..., not random_state=..., to counterfactual()")
    params = dict(base.teacher_params) if name == base.teacher else {}
    params.update(hyperparameters)
    config = dataclasses.replace(
        base,
        name=f"{base.name} (counterfactual)",
        teacher=name,
        teacher_params=params,
        params_version=base.params_version if name == base.teacher else None,  # new: today's
        seed=base.seed if seed is _KEEP else seed,
        reward_bounds=base.reward_bounds if reward_bounds is _KEEP else reward_bounds,
    )
    fresh = config.make_teacher()  # validates the hyper-parameters
    if config.seed is None:  # replay of the counterfactual log needs a fixed seed
        config = dataclasses.replace(config, seed=fresh.entropy_)
    events = _run(fresh, config, log.events)
    cf_log = CurriculumLog.from_events(events, source=f"counterfactual of {log.source or 'log'}")
    return CounterfactualResult(config, fresh, cf_log, log)


def _run(t: Teacher, config: CurriculumConfig, logged: list[Event]) -> list[Event]:
    space = config.space
    out: list[Event] = [CreatedEvent(1, logged[0].time, config)]
    for e in logged[1:]:
        seq = len(out) + 1
        if isinstance(e, TaskEvent):
            s = t.sample()
            out.append(TaskEvent(seq, e.time, e.task_id, space.to_dict(s.task), s.origin))
        elif isinstance(e, ResultEvent):
            t.observe(e.params, e.episode_return)
            out.append(dataclasses.replace(e, seq=seq))
            request = t.pending_fit
            if request is not None:
                fit = run_fit(request)
                t.install_fit(fit)
                out.append(FitEvent(seq + 1, e.time, t.n_updates_, fit))
    return out

