"""Liveness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from server.deps import MetricsDep, ServiceDep
from server.metrics import CONTENT_TYPE_LATEST
from server.schemas import HealthOut

router = APIRouter(tags=["service"])


@router.get("/healthz")
async def healthz(service: ServiceDep) -> HealthOut:
    """Answers once every stored curriculum is loaded (never needs the token)."""
    return HealthOut(status="ok", curricula=len(service))


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
