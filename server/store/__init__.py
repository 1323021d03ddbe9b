"""Event stores: the interface and its backends (SQLite built in, PostgreSQL with the
``[postgres]`` extra), chosen by URL."""

from __future__ import annotations

from server.errors import StoreConfigError
from server.store.base import (
    AppendOp,
    BatchDataError,
    CorruptLogError,
    CreateOp,
    CurriculumRecord,
    DeleteOp,
    EventRow,
    EventStore,
    Op,
    ProbeOp,
    SnapshotOp,
)
from server.store.sqlite import SQLiteStore

__all__ = [
    "AppendOp",
    "BatchDataError",
    "CorruptLogError",
    "CreateOp",
    "CurriculumRecord",
    "DeleteOp",
    "EventRow",
    "EventStore",
    "Op",
    "ProbeOp",
    "SQLiteStore",
    "SnapshotOp",
    "open_store",
    "sqlite_path",
]


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (``sqlite:///relative.db``, ``sqlite:////abs.db``) or
    of a plain path; None for other schemes."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    if url.startswith("sqlite://"):
        raise StoreConfigError(
            f"db URL {url!r}: a SQLite URL is sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    if "://" in url:
        return None
    return url


def open_store(url: str, *, sqlite_synchronous: str = "normal",
               sqlite_busy_timeout_ms: int = 5000) -> EventStore:
    """Open the store ``url`` names: ``sqlite:///path.db`` (or a plain path) or
    ``postgresql://user:password@host:port/dbname``."""
    path = sqlite_path(url)
    if path is not None:
        if not path:
            raise StoreConfigError(f"db URL {url!r} names no file")
        return SQLiteStore(
            path, synchronous=sqlite_synchronous, busy_timeout_ms=sqlite_busy_timeout_ms
        )
    scheme = url.split("://", 1)[0]
    if scheme in ("postgres", "postgresql"):
        try:
            from server.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreConfigError(
                f"db URL {scheme}://...: the PostgreSQL store needs psycopg 3; install the "
                f"[postgres] extra (pip install 'curriculum-teacher[postgres]'): {exc}"
            ) from None
        return PostgresStore(url)
    raise StoreConfigError(
        f"db URL: unknown scheme {scheme!r}; use sqlite:///path.db or "
        "postgresql://user:password@host:port/dbname"
    )
