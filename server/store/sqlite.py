"""The embedded event store: one SQLite file in WAL mode.

Durability is SQLite's ``synchronous`` setting. ``normal`` (the default): a committed
batch survives the server process being killed (SIGKILL, OOM), not necessarily a power
loss or kernel crash. ``full``: every commit is fsynced and survives power loss too.

A server's claim on the store is an exclusive ``flock`` on the database file itself, so
every path to that file (a symlink, a hard link, another mount of it) meets the same claim;
the kernel releases it however the process ends. (SQLite locks the file with POSIX record
locks, which are independent of ``flock``.) The claimer's identity (pid, host, start)
is recorded in the ``meta`` table for the error message of a second server. A flock on
``<file>.lock`` is taken too, so that a server of the previous release, which claimed only
that, is excluded as well.

An existing but empty (0-byte) database file is refused rather than taken for a new store:
a store whose contents vanished must not silently start over.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from server.errors import StoreError
from server.store.base import SCHEMA_VERSION, Op, SQLStore, check_schema_version

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

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
    crc BIGINT,
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
    data_errors = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError,
                   sqlite3.InterfaceError)
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
        self._claim_fds: list[int] = []
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._refuse_emptied_file()
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._connect()
            if not self._up_to_date():
                self._writer.execute("BEGIN IMMEDIATE")
                try:
                    self._prepare()
                    self._writer.execute("COMMIT")
                except BaseException:
                    if self._writer.in_transaction:
                        self._writer.execute("ROLLBACK")
                    raise
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise StoreError(f"cannot open the SQLite store {str(self.path)!r}: {exc}") from exc
        except StoreError:
            self.close()
            raise

    def _refuse_emptied_file(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return  # a new store
        except OSError as exc:
            raise StoreError(f"cannot open the SQLite store {str(self.path)!r}: {exc}") from exc
        wal = self.path.with_name(self.path.name + "-wal")
        if size == 0 and not (wal.exists() and wal.stat().st_size > 0):
            raise StoreError(
                f"the SQLite store {str(self.path)!r} exists but is empty (0 bytes): its "
                "contents were lost or it is not a store; a new store is created only where "
                "no file exists (remove the empty file to start a new, empty store)"
            )

    def _up_to_date(self) -> bool:
        """Whether the store exists with this release's schema (nothing to write)."""
        try:
            rows = dict(self._writer.execute(
                "SELECT key, value FROM meta WHERE key IN ('schema', 'probe')").fetchall())
        except sqlite3.OperationalError:  # no meta table: a new store
            return False
        return rows.get("schema") == SCHEMA_VERSION and "probe" in rows

    def _prepare(self) -> None:
        """Create the tables of a new store, or migrate an older one (in a transaction)."""
        con = self._writer
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        found = row[0] if row else None
        for statement in check_schema_version(found, SCHEMA_VERSION, str(self.path)):
            con.execute(statement)
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                    (SCHEMA_VERSION,))
        con.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('probe', '')")

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
        if self._claim_fds:
            return True
        fds: list[int] = []
        try:
            # The database file read-only (flock needs no write access: a read-only or
            # immutable store still starts, and /healthz reports that it takes no writes).
            for path, flags in ((self.path, os.O_RDONLY),
                                (self.lock_path, os.O_RDWR | os.O_CREAT)):
                try:
                    fd = os.open(path, flags, 0o644)
                except OSError as exc:
                    raise StoreError(f"cannot open {str(path)!r} to claim the store: {exc}") \
                        from exc
                fds.append(fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        if len(fds) < 2:  # pragma: no cover - returned above
            return False
        self._claim_fds = fds
        os.ftruncate(fds[1], 0)
        os.write(fds[1], f"{os.getpid()}\n".encode())
        identity = f"pid {os.getpid()} on {socket.gethostname()} since " \
                   f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
        # The identity is for messages only; a read-only store still claims.
        with contextlib.suppress(sqlite3.Error):
            self._writer.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('claim', ?)",
                                 (identity,))
        return True

    def _claim_holder(self) -> str:
        try:
            row = self._reader().execute("SELECT value FROM meta WHERE key='claim'").fetchone()
        except sqlite3.Error:
            row = None
        return f"{row[0]}, database {str(self.path)!r}" if row else \
            f"database {str(self.path)!r}"

    def claim_held(self) -> bool:
        return bool(self._claim_fds)

    def close(self) -> None:
        super().close()  # connections first: closing our own fds drops POSIX locks too
        fds, self._claim_fds = self._claim_fds, []
        for fd in fds:
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
                # SQLite has already rolled back after some errors (a full disk, I/O):
                # a second ROLLBACK would only hide the real error.
                if con.in_transaction:
                    try:
                        con.execute("ROLLBACK")
                    except sqlite3.Error as exc:
                        log.warning("SQLite ROLLBACK failed: %s", exc)
                raise
        except sqlite3.Error as exc:
            raise self._write_error(exc) from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"
