"""Event stores: the interface and its backends, chosen by URL."""

from __future__ import annotations

from server.errors import StoreConfigError
from server.store.base import (
    AppendOp,
    CreateOp,
    CurriculumRecord,
    DeleteOp,
    EventRow,
    EventStore,
    Op,
    SnapshotOp,
)
from server.store.sqlite import SQLiteStore

__all__ = [
    "AppendOp",
    "CreateOp",
    "CurriculumRecord",
    "DeleteOp",
    "EventRow",
    "EventStore",
    "Op",
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
    """Open the store ``url`` names. Only SQLite is built in; PostgreSQL URLs are
    recognised and refused with an explanation."""
    path = sqlite_path(url)
    if path is not None:
        if not path:
            raise StoreConfigError(f"db URL {url!r} names no file")
        return SQLiteStore(
            path, synchronous=sqlite_synchronous, busy_timeout_ms=sqlite_busy_timeout_ms
        )
    scheme = url.split("://", 1)[0]
    if scheme in ("postgres", "postgresql"):
        raise StoreConfigError(
            "the PostgreSQL store is not implemented yet; use a sqlite:/// URL "
            "(see docs/server.md, 'Adding a store backend')"
        )
    raise StoreConfigError(f"db URL {url!r}: unknown scheme {scheme!r}; use sqlite:///path.db")
