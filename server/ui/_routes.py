"""The dashboard's HTTP surface: the page and its assets (public: they hold no data) and
its JSON data endpoints (behind the API token like every other route)."""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from server.deps import ServiceDep
from server.ui import _data

__all__ = ["router", "PUBLIC_PATHS"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)

_ASSETS = {"index.html": "text/html", "app.js": "text/javascript",
           "charts.js": "text/javascript", "style.css": "text/css"}
PUBLIC_PATHS = frozenset({"/ui", "/ui/", *(f"/ui/{name}" for name in _ASSETS)})
_RECENT_EVENTS_MAX = 40_000  # read at most this many newest events for the scatter


def _asset(name: str) -> bytes:
    return (resources.files("server.ui") / "static" / name).read_bytes()


@router.get("/ui")
@router.get("/ui/")
async def page() -> Response:
    """The single page (list and curriculum views are client-side routes)."""
    return Response(_asset("index.html"), media_type="text/html",
                    headers={"Cache-Control": "no-cache"})


@router.get("/ui/{name}")
async def asset(name: str) -> Response:
    if name not in _ASSETS:
        return Response(status_code=404, content=b'{"detail":"no such dashboard asset"}',
                        media_type="application/json")
    return Response(_asset(name), media_type=_ASSETS[name],
                    headers={"Cache-Control": "no-cache"})


def _rates(request: Request) -> _data.RateTracker:
    tracker = getattr(request.app.state, "ui_rates", None)
    if tracker is None:
        tracker = request.app.state.ui_rates = _data.RateTracker()
    return tracker


@router.get("/ui/api/curricula")
async def curricula(request: Request, service: ServiceDep) -> dict[str, Any]:
    rates = _rates(request)
    return {"curricula": [_data.summary(live, rates.observe(live.id, live.cur.n_results))
                          for live in service.curricula()]}


@router.get("/ui/api/curricula/{curriculum_id}/overview")
async def overview(curriculum_id: str, request: Request, service: ServiceDep) -> dict[str, Any]:
    live = await service.current(curriculum_id)
    rate = _rates(request).observe(live.id, live.cur.n_results)
    out = _data.overview(live, rate)
    alps = list(live.cur.teacher.record_.alps)  # a copy: the teacher keeps appending
    out["alp"] = await asyncio.to_thread(_data.alp_series, alps)
    return out


@router.get("/ui/api/curricula/{curriculum_id}/recent")
async def recent(
    curriculum_id: str, service: ServiceDep,
    tasks: Annotated[int, Query(ge=1, le=20_000, description="newest tasks to return")] = 2000,
) -> dict[str, Any]:
    """The newest tasks (for the scatter) and per-worker throughput over the newest
    results, read from the stored log's tail (never the whole log)."""
    live = service.get(curriculum_id)
    upto = live.committed_seq
    # a task and its result are two events, plus a fit now and then: 2.2 x covers it
    span = min(_RECENT_EVENTS_MAX, int(2.2 * tasks) + 10)
    rows = await asyncio.to_thread(service.store.read_events, live.id,
                                   after=max(0, upto - span), upto=upto, limit=span)
    out = await asyncio.to_thread(_data.recent, rows, live.config.space.names, tasks)
    return {**out, "seq": upto}
