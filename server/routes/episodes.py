"""The student loop: get tasks, report results, report evaluations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

import teacher
from server.deps import service_of
from server.routes.curricula import CurriculumId
from server.schemas import (
    ErrorOut,
    EvaluationBatchIn,
    EvaluationsOut,
    ReportOut,
    ResultBatchIn,
    ResultsBody,
    ScoreBatchIn,
    ScoresOut,
    TasksOut,
    TasksRequest,
)
from server.views import mastery_rows, report_json, tasks_json

router = APIRouter(prefix="/v1/curricula/{curriculum_id}", tags=["episodes"])

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


# The two routes of the student loop answer pre-encoded JSON (same schema, documented by
# ``response_model``): FastAPI would otherwise validate the model it is handed again.
@router.post("/tasks", response_model=TasksOut,
             responses={**_ERRORS, 409: {"model": ErrorOut,
                                         "description": "request_id used with another count"}})
async def issue_tasks(
    curriculum_id: CurriculumId, request: Request, body: TasksRequest | None = None
) -> Response:
    """Issue ``count`` tasks (default 1, at most 256); each stays pending until reported.
    With a ``request_id``, retrying the request returns the same tasks (idempotent)."""
    events = await service_of(request).issue_tasks(
        curriculum_id, body.count if body else 1, body.request_id if body else None
    )
    return Response(tasks_json(events), media_type="application/json")


@router.post("/results", response_model=ReportOut,
             responses={**_ERRORS, 409: {"model": ErrorOut}})
async def report_results(
    curriculum_id: CurriculumId, request: Request, body: Annotated[ResultsBody, Body()]
) -> Response:
    """Report one result or a batch (at most 1,024), validated as a whole: if any item is
    invalid or names an unknown task, nothing is stored. A task already reported with the
    same return counts as a duplicate; with a different return it is a 409."""
    items = body.results if isinstance(body, ResultBatchIn) else [body]
    outcome = await service_of(request).report(
        curriculum_id,
        [teacher.ResultIn(r.task_id, r.episode_return, r.length, r.worker, r.score)
         for r in items],
    )
    return Response(report_json(outcome.accepted, outcome.duplicates),
                    media_type="application/json")


@router.post("/scores", response_model=ScoresOut,
             responses={**_ERRORS,
                        404: {"model": ErrorOut, "description": "no curriculum has this id, "
                              "or a task_id was never issued by it"},
                        409: {"model": ErrorOut,
                              "description": "a task already has another score"}})
async def report_scores(
    curriculum_id: CurriculumId, request: Request, body: ScoreBatchIn
) -> Response:
    """Late per-episode scores (at most 1,024) for tasks whose result was reported without
    one, e.g. PLR's positive value loss, which a worker knows only once its rollout ends.
    Validated as a whole: nothing is stored if any item is invalid, names a task never
    issued (404), one with no result yet or older than the newest 8,192 results (422).
    The same score again counts as a duplicate; another score for the task is a 409."""
    outcome = await service_of(request).report_scores(
        curriculum_id, [teacher.ScoreIn(s.task_id, s.score) for s in body.scores],
    )
    return Response(report_json(outcome.accepted, outcome.duplicates),
                    media_type="application/json")


@router.post("/evaluations", responses={**_ERRORS, 409: {"model": ErrorOut}})
async def record_evaluations(
    curriculum_id: CurriculumId, request: Request, body: EvaluationBatchIn
) -> EvaluationsOut:
    """Store test episodes (never fed to the teacher); answers the mastery summary.
    An evaluation is (test_set, step, worker, params): sent again with the same return
    it counts as a duplicate and is not stored twice; with another return it is a 409
    (evaluations without a step are always stored)."""
    service = service_of(request)
    events = await service.record_evaluations(
        curriculum_id,
        [teacher.EvaluationIn(e.params, e.episode_return, e.test_set, e.step, e.worker)
         for e in body.evaluations],
    )
    return EvaluationsOut(accepted=len(events), duplicates=len(body.evaluations) - len(events),
                          mastery=mastery_rows(service.get(curriculum_id)))
