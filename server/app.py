"""The FastAPI application factory.

Run it with ``curriculum serve`` or ``uvicorn --factory server.app:create_app`` (settings
from ``CURRICULUM_*`` environment variables). One process holds the live teachers:
``uvicorn --workers N`` is not supported.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server import gcpolicy, views
from server.errors import StoreConfigError
from server.fastlane import FastLane
from server.handlers import install_handlers
from server.metrics import Metrics, MetricsMiddleware
from server.middleware import BodyLimitMiddleware, TokenAuthMiddleware
from server.openapi import OPEN_PATHS, install_openapi
from server.routes import curricula, episodes, events, ops
from server.service import CurriculumService
from server.settings import Settings, get_settings
from server.store import EventStore, open_store, sqlite_path
from server.ui import PUBLIC_PATHS as UI_PUBLIC_PATHS
from server.ui import router as ui_router

__all__ = ["create_app", "check_store_location"]

log = logging.getLogger("server")

API_VERSION = "1"


def check_store_location(url: str) -> None:
    """A SQLite store's directory must exist: a mistyped path or URL is an error rather
    than a new directory tree. Raises StoreConfigError naming the directory."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url) and "://" not in url:
        raise StoreConfigError(
            f"db URL {url!r} is neither a URL nor a file path; a SQLite URL is "
            "sqlite:///relative.db or sqlite:////absolute.db (three or four slashes)"
        )
    path = sqlite_path(url)
    if path:
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            raise StoreConfigError(
                f"db URL {url!r}: the directory {parent!r} of the SQLite file does not exist; "
                "create it first (a SQLite URL is sqlite:///relative.db or "
                "sqlite:////absolute.db)"
            )


async def _stop_when_orphaned(parent_pid: int, every_s: float = 1.0) -> None:
    """SIGTERM this process (the graceful shutdown) once ``parent_pid`` is no longer its
    parent: the parent died and the process was handed to another."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(every_s)
    log.warning("the parent process %d is gone: stopping", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(settings: Settings | None = None, store: EventStore | None = None) -> FastAPI:
    """Build the app; the store is opened and the curricula loaded at startup.

    store: an event store already opened and claimed for ``settings.db`` (``curriculum
    serve`` claims it before it starts listening); the app closes it when it stops, so
    such an app serves once."""
    settings = settings or get_settings()
    metrics = Metrics()
    given_store = store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = given_store
        if store is None:
            check_store_location(settings.db)
            store = open_store(
                settings.db, sqlite_synchronous=settings.sqlite_synchronous,
                sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            )
            try:
                store.claim(wait_s=settings.claim_wait_s)
            except BaseException:
                store.close()
                raise
        service = CurriculumService(
            store,
            snapshot_every=settings.snapshot_every,
            fit_workers=settings.fit_workers,
            heartbeat_s=settings.follow_heartbeat_s,
            task_lease_s=settings.task_lease_s,
            observe_fit=metrics.fit_duration.observe,
            observe_commit=metrics.observe_commit,
        )
        undo_gc = gcpolicy.install()  # before loading: replays build long-lived objects
        watching: asyncio.Task[None] | None = None
        try:
            await service.start()
            service.watch_sigterm()
            watching = (asyncio.create_task(_stop_when_orphaned(settings.parent_pid))
                        if settings.parent_pid is not None else None)
            metrics.watch(lambda: [views.stats(live) for live in service.curricula()])
            app.state.service = service
            log.info("serving %d curricula from %r (durable against %s)", len(service), store,
                     store.durability)
            yield
        finally:
            if watching is not None:
                watching.cancel()
            app.state.service = None
            await service.stop()
            store.close()
            undo_gc()

    app = FastAPI(
        # We export Prometheus metrics; FastAPI's native OpenTelemetry hooks cost time on
        # every request, so they are on only when asked for.
        telemetry=None if settings.otel else {
            "tracing": False, "metrics": False, "logs": False, "operation_spans": False,
        },
        title="curriculum-teacher server",
        version=API_VERSION,
        summary="ALP-GMM and baseline teachers as a durable, replayable HTTP service.",
        lifespan=lifespan,
        # A body without Content-Type is read as JSON (docs/server.md); the routers of
        # server.routes say so too, as their routes are added to the app directly.
        strict_content_type=False,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = None
    install_handlers(app)
    # The routers carry their full prefix and their routes go to the app directly (an
    # included router costs measurably more per request in FastAPI 0.16x), ahead of the docs
    # routes and with the student loop first: routes are matched in order, one by one.
    ours = [r for router in (episodes.router, curricula.router, events.router, ops.router)
            for r in router.routes]
    app.router.routes[:0] = ours
    if settings.fast_lane:  # well-formed student-loop requests skip FastAPI's handling
        app.router.middleware_stack = FastLane(app.router.middleware_stack,
                                               episodes.fast_lanes())
    app.include_router(ui_router)  # the dashboard at /ui (not in the OpenAPI document)
    install_openapi(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.api_token is not None:
        app.add_middleware(
            TokenAuthMiddleware, token=settings.api_token.get_secret_value(),
            open_paths=OPEN_PATHS | UI_PUBLIC_PATHS,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
