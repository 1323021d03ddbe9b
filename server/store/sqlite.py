"""The embedded event store: one SQLite file in WAL mode.

Durability is SQLite's ``synchronous`` setting. ``normal`` (the default): a committed
batch survives the server process being killed (SIGKILL, OOM), not necessarily a power
loss or kernel crash. ``full``: every commit is fsynced and survives power loss too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from server.errors import StoreError
from server.store.base import Op, SQLStore, check_schema_version

__all__ = ["SQLiteStore"]

_SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS curricula (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    created TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    curriculum TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (curriculum, seq)
);
CREATE TABLE IF NOT EXISTS snapshots (
    curriculum TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (curriculum, seq)
);
"""


class SQLiteStore(SQLStore):
    """An :class:`EventStore` in one SQLite file.

    path: the database file (created with its tables if missing).
    synchronous: "normal" or "full" (see the module docstring).
    busy_timeout_ms: how long a write waits for another process holding the file.
    """

    insert_curriculum = (
        "INSERT INTO curricula (id, name, config, created, position) VALUES "
        "(?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM curricula))"
    )
    upsert_snapshot = "INSERT OR REPLACE INTO snapshots (curriculum, seq, body) VALUES (?, ?, ?)"
    driver_error = sqlite3.Error
    driver_name = "SQLite"

    def __init__(
        self, path: str | Path, *, synchronous: str = "normal", busy_timeout_ms: int = 5000
    ):
        if synchronous not in ("normal", "full"):
            raise StoreError(f"synchronous must be 'normal' or 'full', got {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self.durability = (
            "power-loss (synchronous=FULL)" if synchronous == "full"
            else "process crash (synchronous=NORMAL)"
        )
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._connect()
            self._writer.executescript(_SCHEMA)
            row = self._writer.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if check_schema_version(row and row[0], _SCHEMA_VERSION, str(self.path)):
                self._writer.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?)", (_SCHEMA_VERSION,)
                )
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the SQLite store {str(self.path)!r}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=self.busy_timeout_ms / 1000,
        )
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
        con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        with self._all_lock:
            self._all.append(con)
        return con

    def _reader(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._connect()
            self._local.con = con
        return con

    # -- writes ---------------------------------------------------------------------------
    def write(self, ops: Sequence[Op]) -> None:
        con = self._writer
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                self._execute(con, ops)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"the SQLite store could not be written: {exc}") from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"
