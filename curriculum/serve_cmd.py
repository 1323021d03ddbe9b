"""``curriculum serve``: run the teacher server (uvicorn, one process).

Wired into the typer app by ``app.command("serve")(serve)``. Options left out fall back
to the ``CURRICULUM_*`` environment variables, then to the defaults of
:class:`server.settings.Settings`.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["serve"]


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [env CURRICULUM_HOST; 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [env CURRICULUM_PORT; 8000].")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Event store URL, e.g. sqlite:///runs/curricula.db "
                          "[env CURRICULUM_DB; sqlite:///curriculum.db]."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="Require 'Authorization: Bearer <token>' on every request but "
                          "/healthz [env CURRICULUM_API_TOKEN].", show_default=False),
    ] = None,
    sync: Annotated[
        str | None,
        typer.Option(help="SQLite durability: 'normal' (survives a server crash) or 'full' "
                          "(also power loss) [env CURRICULUM_SQLITE_SYNCHRONOUS; normal]."),
    ] = None,
    snapshot_every: Annotated[
        int | None,
        typer.Option(help="Events between teacher snapshots [env CURRICULUM_SNAPSHOT_EVERY]."),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option(help="uvicorn log level [env CURRICULUM_LOG_LEVEL; info].")
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log",
                     help="Log every request (costs throughput) [env CURRICULUM_ACCESS_LOG]."),
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

    overrides = {
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
