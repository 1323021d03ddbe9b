"""The ceiling of the server benchmark: a bare FastAPI app with the student loop's two
routes, the same request and response schemas, no teacher and no store. Served by
uvicorn in its own process (``benchmarks._bare_app:create_bare_app``, a factory)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI

from server.schemas import (
    ReportOut,
    ResultBatchIn,
    ResultsBody,
    TaskOut,
    TasksOut,
    TasksRequest,
)

__all__ = ["create_bare_app"]


def create_bare_app() -> FastAPI:
    """The ceiling: the same request and response schemas, no teacher, no store."""
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False,
                             "operation_spans": False})
    counter = {"n": 0}

    @app.post("/v1/curricula/{curriculum_id}/tasks")
    async def tasks(curriculum_id: str, body: TasksRequest | None = None) -> TasksOut:
        out = []
        for _ in range(body.count if body else 1):
            counter["n"] += 1
            out.append(TaskOut(task_id=f"{curriculum_id}-{counter['n']}",
                               params={"stump_height": 1.5, "obstacle_spacing": 3.0},
                               origin="bootstrap"))
        return TasksOut(tasks=out)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/curricula/{curriculum_id}/results")
    async def results(curriculum_id: str, body: Annotated[ResultsBody, Body()]) -> ReportOut:
        items = body.results if isinstance(body, ResultBatchIn) else [body]
        return ReportOut(accepted=len(items), duplicates=0)

    return app
