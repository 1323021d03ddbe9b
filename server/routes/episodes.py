"""The student loop: get tasks, report results, report evaluations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

import teacher
from server.deps import ServiceDep
from server.routes.curricula import CurriculumId
from server.schemas import (
    ErrorOut,
    EvaluationBatchIn,
    EvaluationsOut,
    ReportOut,
    ResultBatchIn,
    ResultsBody,
    TasksOut,
    TasksRequest,
)
from server.views import mastery_rows, tasks_out

router = APIRouter(prefix="/v1/curricula/{curriculum_id}", tags=["episodes"])

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


@router.post("/tasks", responses=_ERRORS)
async def issue_tasks(
    curriculum_id: CurriculumId, service: ServiceDep, body: TasksRequest | None = None
) -> TasksOut:
    """Issue ``count`` tasks (default 1, at most 256); each stays pending until reported."""
    events = await service.issue_tasks(curriculum_id, body.count if body else 1)
    return tasks_out(events)


@router.post("/results", responses={**_ERRORS, 409: {"model": ErrorOut}})
async def report_results(
    curriculum_id: CurriculumId, service: ServiceDep, body: Annotated[ResultsBody, Body()]
) -> ReportOut:
    """Report one result or a batch (at most 1,024), validated as a whole: if any item is
    invalid or names an unknown task, nothing is stored. A task already reported with the
    same return counts as a duplicate; with a different return it is a 409."""
    items = body.results if isinstance(body, ResultBatchIn) else [body]
    outcome = await service.report(
        curriculum_id,
        [teacher.ResultIn(r.task_id, r.episode_return, r.length, r.worker) for r in items],
    )
    return ReportOut(accepted=outcome.accepted, duplicates=outcome.duplicates)


@router.post("/evaluations", responses=_ERRORS)
async def record_evaluations(
    curriculum_id: CurriculumId, service: ServiceDep, body: EvaluationBatchIn
) -> EvaluationsOut:
    """Store test episodes (never fed to the teacher); answers the mastery summary."""
    events = await service.record_evaluations(
        curriculum_id,
        [teacher.EvaluationIn(e.params, e.episode_return, e.test_set, e.step, e.worker)
         for e in body.evaluations],
    )
    return EvaluationsOut(accepted=len(events),
                          mastery=mastery_rows(service.get(curriculum_id)))
