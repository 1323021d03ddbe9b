"""The student loop: get tasks, report results, report evaluations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

import teacher
from server.deps import service_of
from server.fastlane import Lane
from server.routes.curricula import CurriculumId
from server.schemas import (
    ErrorOut,
    EvaluationBatchIn,
    EvaluationsOut,
    ReportOut,
    ResultBatchIn,
    ResultItemIn,
    ResultsBody,
    ScoreBatchIn,
    ScoresOut,
    TasksOut,
    TasksRequest,
)
from server.service import CurriculumService
from server.views import mastery_rows, report_json, tasks_json

router = APIRouter(prefix="/v1/curricula/{curriculum_id}", tags=["episodes"],
                   strict_content_type=False)

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


# The two routes of the student loop answer pre-encoded JSON (same schema, documented by
# ``response_model``): FastAPI would otherwise validate the model it is handed again.
# server.fastlane serves well-formed requests to them without FastAPI's request handling,
# through the same two functions below.
async def tasks_answer(service: CurriculumService, curriculum_id: str,
                       body: TasksRequest | None) -> bytes:
    """The body of a ``POST .../tasks`` answer."""
    events = await service.issue_tasks(
        curriculum_id, body.count if body else 1, body.request_id if body else None
    )
    return tasks_json(events)


async def results_answer(service: CurriculumService, curriculum_id: str,
                         body: ResultItemIn | ResultBatchIn) -> bytes:
    """The body of a ``POST .../results`` answer."""
    items = body.results if isinstance(body, ResultBatchIn) else [body]
    outcome = await service.report(
        curriculum_id,
        [teacher.ResultIn(r.task_id, r.episode_return, r.length, r.worker, r.score)
         for r in items],
    )
    return report_json(outcome.accepted, outcome.duplicates)


@router.post("/tasks", response_model=TasksOut,
             responses={**_ERRORS, 409: {"model": ErrorOut,
                                         "description": "request_id used with another count"}})
async def issue_tasks(
    curriculum_id: CurriculumId, request: Request, body: TasksRequest | None = None
) -> Response:
    """Issue ``count`` tasks (default 1, at most 256); each stays pending until reported.
    With a ``request_id``, retrying the request returns the same tasks (idempotent)."""
    return Response(await tasks_answer(service_of(request), curriculum_id, body),
                    media_type="application/json")


@router.post("/results", response_model=ReportOut,
             responses={**_ERRORS, 409: {"model": ErrorOut}})
async def report_results(
    curriculum_id: CurriculumId, request: Request, body: Annotated[ResultsBody, Body()]
) -> Response:
    """Report one result or a batch (at most 1,024), validated as a whole: if any item is
    invalid or names an unknown task, nothing is stored. A task already reported with the
    same return counts as a duplicate; with a different return it is a 409."""
    return Response(await results_answer(service_of(request), curriculum_id, body),
                    media_type="application/json")


def fast_lanes() -> list[Lane]:
    """The student loop's two routes, for :class:`server.fastlane.FastLane`."""
    route = {r.endpoint: r for r in router.routes if isinstance(r, APIRoute)}
    return [
        Lane(route[issue_tasks], TypeAdapter(TasksRequest | None), tasks_answer),
        Lane(route[report_results], TypeAdapter(ResultsBody), results_answer),
    ]


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
