"""``curriculum serve``: run the teacher server (uvicorn, one process).

Wired into the typer app by ``app.command("serve")(serve)``. Options left out fall back
to the ``CURRICULUM_*`` environment variables, then to the defaults of
:class:`server.settings.Settings`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["serve"]


def serve(
    host: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_HOST", help="Interface to bind (default 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(envvar="CURRICULUM_PORT", help="Port to listen on (default 8000)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_DB",
                     help="Event store URL, e.g. sqlite:///runs/curricula.db "
                          "(default sqlite:///curriculum.db)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_API_TOKEN", show_default=False,
                     help="Require 'Authorization: Bearer <token>' on every request but "
                          "/healthz."),
    ] = None,
    sync: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_SQLITE_SYNCHRONOUS",
                     help="SQLite durability: 'normal' (acknowledged writes survive a server "
                          "crash; default) or 'full' (also power loss)."),
    ] = None,
    snapshot_every: Annotated[
        int | None,
        typer.Option(envvar="CURRICULUM_SNAPSHOT_EVERY",
                     help="Events between snapshots of a curriculum (default 50000)."),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_LOG_LEVEL", help="uvicorn log level (default info)."),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log", envvar="CURRICULUM_ACCESS_LOG",
                     help="Log every request (costs throughput; default off)."),
    ] = None,
) -> None:
    """Serve curricula over HTTP (FastAPI + uvicorn). One process holds the live teachers:
    run one server per store, never ``uvicorn --workers N``."""
    # Imported here so the CLI stays usable without the [server] extra installed.
    import uvicorn

    from server.app import create_app
    from server.errors import ServerError
    from server.settings import Settings
    from server.store import open_store

    overrides: dict[str, Any] = {
        "host": host, "port": port, "db": db, "api_token": token,
        "sqlite_synchronous": sync, "snapshot_every": snapshot_every,
        "log_level": log_level, "access_log": access_log,
    }
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # pydantic.ValidationError
        raise typer.BadParameter(str(exc)) from None
    try:  # fail fast, before uvicorn starts, on an unusable store URL
        open_store(settings.db, sqlite_synchronous=settings.sqlite_synchronous).close()
    except ServerError as exc:
        raise typer.BadParameter(str(exc), param_hint="--db") from None
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        workers=None,
        loop="auto",
        http="auto",
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )


if __name__ == "__main__":  # python -m curriculum.serve_cmd --port 8000 ...
    typer.run(serve)
