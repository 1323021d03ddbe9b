"""Request dependencies, as ``Annotated`` aliases. They are ``async`` on purpose: FastAPI
runs plain functions in a thread pool, which costs more than the lookup itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from server.errors import UnavailableError
from server.metrics import Metrics
from server.service import CurriculumService
from server.settings import Settings

__all__ = ["ServiceDep", "MetricsDep", "SettingsDep", "service_of", "service_of_app"]


def service_of(request: Request) -> CurriculumService:
    """The running service. The student-loop routes call this on their ``Request``
    instead of declaring ``ServiceDep``: a sub-dependency costs FastAPI a second
    dependency resolution per request, a measurable share of a task/result round trip."""
    return service_of_app(request.app)


def service_of_app(app: FastAPI) -> CurriculumService:
    """The running service of ``app`` (see :func:`service_of`)."""
    service = getattr(app.state, "service", None)
    if service is None:
        raise UnavailableError("the service is not running (starting or shutting down)")
    return service


async def get_service(request: Request) -> CurriculumService:
    return service_of(request)


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


ServiceDep = Annotated[CurriculumService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
