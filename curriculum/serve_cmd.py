"""``curriculum serve``: run the teacher server (uvicorn, one process).

Wired into the typer app by ``app.command("serve")(serve)``. Options left out fall back
to the ``CURRICULUM_*`` environment variables, then to the defaults of
:class:`server.settings.Settings`.
"""

from __future__ import annotations

import errno
import logging
import socket
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = ["serve"]

#: Settings fields given by an option of ``serve``, for errors that name the option.
_FLAGS = {
    "host": "--host", "port": "--port", "db": "--db", "api_token": "--token",
    "api_token_file": "--token-file", "sqlite_synchronous": "--sync",
    "snapshot_every": "--snapshot-every", "log_level": "--log-level",
    "access_log": "--access-log",
}


class SyncMode(StrEnum):
    normal = "normal"
    full = "full"


class LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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
                          "(default sqlite:///curriculum.db); its directory must exist."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="CURRICULUM_API_TOKEN", show_default=False,
                     help="Require 'Authorization: Bearer <token>' on every request but "
                          "/healthz. Visible to other users in the process list: prefer "
                          "--token-file or the environment variable."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(envvar="CURRICULUM_API_TOKEN_FILE", show_default=False,
                     help="Read the token from this file (first line; not shown in the "
                          "process list)."),
    ] = None,
    sync: Annotated[
        SyncMode | None,
        typer.Option(envvar="CURRICULUM_SQLITE_SYNCHRONOUS", case_sensitive=False,
                     help="SQLite durability: 'normal' (acknowledged writes survive a server "
                          "crash; default) or 'full' (also power loss)."),
    ] = None,
    snapshot_every: Annotated[
        int | None,
        typer.Option(envvar="CURRICULUM_SNAPSHOT_EVERY",
                     help="Events between snapshots of a curriculum (default 50000)."),
    ] = None,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(envvar="CURRICULUM_LOG_LEVEL", case_sensitive=False,
                     help="uvicorn log level (default info)."),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log", envvar="CURRICULUM_ACCESS_LOG",
                     help="Log every request (costs throughput; default off)."),
    ] = None,
) -> None:
    """Serve curricula over HTTP (FastAPI + uvicorn). One process holds the live teachers:
    run one server per store, never ``uvicorn --workers N``.

    Before anything is opened the settings are checked, then the port is bound, then the
    store is opened and claimed: each failure names its option and leaves nothing behind."""
    # Imported here so the CLI stays usable without the [server] extra installed.
    import uvicorn

    from server.app import check_store_location, create_app
    from server.errors import ServerError
    from server.store import open_store

    overrides: dict[str, Any] = {
        "host": host, "port": port, "db": db, "api_token": token,
        "api_token_file": token_file,
        "sqlite_synchronous": sync.value if sync else None, "snapshot_every": snapshot_every,
        "log_level": log_level.value if log_level else None, "access_log": access_log,
    }
    settings = _settings({k: v for k, v in overrides.items() if v is not None})
    sock = _bind(settings.host, settings.port)
    try:
        try:
            check_store_location(settings.db)
            store = open_store(settings.db, sqlite_synchronous=settings.sqlite_synchronous,
                               sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        except ServerError as exc:
            _fail(f"--db: {exc}")
        try:
            store.claim(wait_s=settings.claim_wait_s)
        except BaseException as exc:
            store.close()
            if isinstance(exc, ServerError):
                _fail(str(exc), code=1)
            raise
        config = uvicorn.Config(
            create_app(settings, store=store),
            workers=None,
            loop="auto",
            http="auto",
            log_level=settings.log_level,
            access_log=settings.access_log,
            timeout_graceful_shutdown=settings.shutdown_timeout_s,
        )
        # uvicorn announces its address only when it binds the socket itself.
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        logging.getLogger("uvicorn.error").info(
            "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, port)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _settings(given: dict[str, Any]) -> Settings:
    """The settings, or exit naming each invalid option (or environment variable)."""
    from pydantic import ValidationError

    from server.settings import Settings

    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            where = _FLAGS.get(field, f"CURRICULUM_{field.upper()}")
            msg = str(e["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if field else msg)
        _fail("; ".join(problems))


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (uvicorn serves on it), or exit naming the
    option: a port in use is found before the store is touched."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        _fail(f"--host: cannot resolve {host!r}: {exc.strerror}")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        what = "is already in use (another server?)" if exc.errno == errno.EADDRINUSE else (
            f"cannot be bound: {exc.strerror}")
        _fail(f"--port: {host}:{port} {what}")
    sock.set_inheritable(True)
    return sock


if __name__ == "__main__":  # python -m curriculum.serve_cmd --port 8000 ...
    typer.run(serve)
