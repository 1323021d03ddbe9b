"""Response models built from live curricula and teacher events."""

from __future__ import annotations

import pydantic_core

from server.live import LiveCurriculum
from server.metrics import CurriculumStats
from server.schemas import (
    Counts,
    CurriculumConfigOut,
    CurriculumOut,
    FittingOut,
    GMMSummary,
    MasteryRow,
)
from teacher import CurriculumConfig, TaskEvent

__all__ = [
    "config_out", "curriculum_out", "mastery_rows", "report_json", "stats", "tasks_json",
]


def config_out(config: CurriculumConfig) -> CurriculumConfigOut:
    """The configuration's JSON form, read into the response model (fields it does not
    declare, such as the name, are left out)."""
    return CurriculumConfigOut.model_validate(config.to_json())


def _gmm(live: LiveCurriculum) -> GMMSummary | None:
    teacher = live.cur.teacher
    fit = teacher.installed_fit
    if fit is None:
        return None
    fits = teacher.record_.fits
    return GMMSummary(
        fit_index=fit.fit_index,
        episode=fits[-1].episode if fits else 0,
        k=fit.k,
        weights=fit.weights.tolist(),
        means=fit.means.tolist(),
        covariances=fit.covariances.tolist(),
        alp=fit.scores.tolist(),
        criterion=fit.criterion,
        criterion_value=fit.criterion_value,
    )


def mastery_rows(live: LiveCurriculum) -> list[MasteryRow]:
    return [MasteryRow(**row) for row in live.cur.mastery_summary()]


def curriculum_out(live: LiveCurriculum) -> CurriculumOut:
    cur = live.cur
    return CurriculumOut(
        id=live.id,
        name=live.name,
        created=live.created,
        seq=cur.seq,
        config=config_out(cur.config),
        counts=Counts(**cur.counts()),
        last_fit_time=cur.last_fit_time,
        gmm=_gmm(live),
        fitting=FittingOut(
            in_flight=live.fits.in_flight, behind=live.fits_behind,
            coalesced=live.fits.coalesced,
        ),
        latest_mastery_pct=cur.latest_mastery(),
        mastery=mastery_rows(live),
    )


def tasks_json(events: list[TaskEvent]) -> bytes:
    """The :class:`TasksOut` body of ``events``, encoded directly (the student loop's hot
    path: no model to build, for FastAPI to validate and serialise again)."""
    return pydantic_core.to_json(
        {"tasks": [{"task_id": e.task_id, "params": e.params, "origin": e.origin,
                    "seed": e.seed} for e in events]}
    )


def report_json(accepted: int, duplicates: int) -> bytes:
    """The :class:`ReportOut` body, encoded directly."""
    return pydantic_core.to_json({"accepted": accepted, "duplicates": duplicates})


def stats(live: LiveCurriculum) -> CurriculumStats:
    c = live.cur
    return CurriculumStats(
        name=live.name, tasks=c.n_tasks, results=c.n_results, pending=len(c.pending),
        expired=c.n_expired, evaluations=c.n_evaluations, fits=c.n_fits,
        fits_behind=live.fits_behind, fits_coalesced=live.fits.coalesced, scores=c.n_scores,
    )
