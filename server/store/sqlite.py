"""The embedded event store: one SQLite file in WAL mode.

Durability is SQLite's ``synchronous`` setting. ``normal`` (the default): a committed
batch survives the server process being killed (SIGKILL, OOM), not necessarily a power
loss or kernel crash. ``full``: every commit is fsynced and survives power loss too.

A server's claim on the store is an exclusive ``flock`` on ``<file>.lock`` beside it
(holding the server's pid); the kernel releases it however the process ends.
"""

from __future__ import annotations

import fcntl
import os
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
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._claim_fd: int | None = None
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

    # -- the claim ------------------------------------------------------------------------
    def _try_claim(self) -> bool:
        if self._claim_fd is not None:
            return True
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the lock file {str(self.lock_path)!r}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._claim_fd = fd
        return True

    def _claim_holder(self) -> str:
        try:
            pid = self.lock_path.read_text().strip()
        except OSError:
            pid = ""
        return f"pid {pid}, lock file {str(self.lock_path)!r}" if pid else \
            f"lock file {str(self.lock_path)!r}"

    def close(self) -> None:
        super().close()
        fd, self._claim_fd = self._claim_fd, None
        if fd is not None:
            os.close(fd)  # releases the flock

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
