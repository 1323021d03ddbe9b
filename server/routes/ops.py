"""Liveness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from server.deps import MetricsDep, ServiceDep
from server.metrics import CONTENT_TYPE_LATEST
from server.schemas import FailedCurriculumOut, HealthOut, StoreHealthOut

router = APIRouter(tags=["service"], strict_content_type=False)


@router.get("/healthz", responses={503: {"model": HealthOut}})
async def healthz(service: ServiceDep, response: Response) -> HealthOut:
    """Answers once the stored curricula are loaded (never needs the token): 200 ``ok`` or
    ``degraded`` (some curricula failed to load, named), 503 ``unavailable`` when the
    store takes no writes or this server lost its claim."""
    health = await service.health()
    status = "ok" if not health.failed else "degraded"
    if not (health.writable and health.claimed):
        status, response.status_code = "unavailable", 503
    return HealthOut(
        status=status, curricula=len(service),
        store=StoreHealthOut(writable=health.writable, claimed=health.claimed,
                             error=health.error),
        failed=[FailedCurriculumOut(id=f.id, name=f.name, reason=f.reason)
                for f in health.failed],
    )


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
