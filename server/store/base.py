"""The event store interface: curricula, their append-only event logs, and snapshots.

A store holds, per curriculum, its record (id, unique name, configuration), its events
numbered by ``seq`` from 1 without gaps (each the JSON text of one event in the teacher
library's format), and its latest snapshot. ``write`` applies a batch of operations in one
transaction; the server calls it from its single writer (on the event loop) and answers a
request only after the batch holding its events has been written. Reads may come from any thread.
A backend (SQLite, PostgreSQL, a new one) implements this class and is chosen by URL scheme in
:func:`server.store.open_store`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from server.errors import StoreError

__all__ = [
    "EventRow",
    "CurriculumRecord",
    "CreateOp",
    "AppendOp",
    "SnapshotOp",
    "DeleteOp",
    "Op",
    "EventStore",
    "EventTuple",
    "check_schema_version",
    "SQLStore",
]


@dataclass(frozen=True)
class EventRow:
    """One stored event: ``body`` is its JSON object as text (see teacher.event_to_json)."""

    seq: int
    type: str
    body: str


@dataclass(frozen=True)
class CurriculumRecord:
    id: str
    name: str
    config: str  # JSON text of teacher.CurriculumConfig.to_json()
    created: str
    last_seq: int


@dataclass(frozen=True)
class CreateOp:
    """Create a curriculum with its first event (``created``, seq 1)."""

    id: str
    name: str
    config: str
    created: str
    event: EventRow


@dataclass(frozen=True)
class AppendOp:
    """Append events (consecutive seqs continuing the log); empty: a write barrier."""

    curriculum: str
    events: list[EventRow]


@dataclass(frozen=True)
class SnapshotOp:
    """Store the state of a curriculum after event ``seq`` (replaces older snapshots)."""

    curriculum: str
    seq: int
    body: bytes


@dataclass(frozen=True)
class DeleteOp:
    """Remove a curriculum, its events and its snapshots."""

    curriculum: str


Op = CreateOp | AppendOp | SnapshotOp | DeleteOp

#: an event as the parameters of an INSERT: (curriculum, seq, type, body)
EventTuple = tuple[str, int, str, str]


def check_schema_version(found: str | None, expected: str, where: str) -> bool:
    """Whether the store at ``where`` still needs its schema version recorded (``found``
    is None); raises :class:`StoreError` if it records another version than ``expected``."""
    if found is not None and found != expected:
        raise StoreError(f"{where} has store schema {found!r}; this server knows {expected!r}")
    return found is None


class EventStore(ABC):
    """Durable storage of curricula (see the module docstring)."""

    #: what a successful ``write`` survives, for /healthz and the docs
    durability: str = "unknown"

    @abstractmethod
    def write(self, ops: Sequence[Op]) -> None:
        """Apply ``ops`` in order, in one transaction. Raises :class:`StoreError` (and
        stores nothing) on failure."""

    @abstractmethod
    def curricula(self) -> list[CurriculumRecord]:
        """Every stored curriculum, oldest first."""

    @abstractmethod
    def read_events(
        self, curriculum: str, *, after: int = 0, upto: int | None = None, limit: int = 10_000
    ) -> list[EventRow]:
        """Events with ``after < seq <= upto``, in seq order, at most ``limit``."""

    @abstractmethod
    def latest_snapshot(self, curriculum: str) -> tuple[int, bytes] | None:
        """``(seq, body)`` of the newest snapshot, or None."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (and the claim); the store is unusable afterwards."""

    def claim(self, *, wait_s: float = 5.0) -> None:
        """Make this process the store's only server until :meth:`close`.

        Two servers on one store would each hold their own copy of a curriculum and
        interleave their events, so a server claims its store before loading it. Raises
        :class:`StoreError` naming the store and the holder when another process still
        holds the claim after ``wait_s`` seconds. A claim ends with its process, killed or
        not; the wait covers the moment a database needs to notice."""
        deadline = time.monotonic() + wait_s
        while not self._try_claim():
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"{self!r} is already served by another process ({self._claim_holder()}); "
                    "a store has one server: stop the other server or give this one "
                    "its own store"
                )
            time.sleep(0.1)

    @abstractmethod
    def _try_claim(self) -> bool:
        """Take the claim if no other process holds it (True once held; idempotent)."""

    def _claim_holder(self) -> str:
        """Who holds the claim, for the error message."""
        return "holder unknown"


class SQLStore(EventStore):
    """What the SQLite and PostgreSQL backends share: tables ``curricula``, ``events`` and
    ``snapshots``, the statements each operation becomes, the reads, and closing.

    Queries are written with ``?`` placeholders, turned into the driver's
    ``placeholder``. A backend sets its dialect (``placeholder``, ``insert_curriculum``,
    ``upsert_snapshot``) and its driver's error class and name, keeps its connections in
    ``_all`` (guarded by ``_all_lock``) and supplies :meth:`_reader`.
    """

    placeholder: ClassVar[str] = "?"
    #: INSERT of (id, name, config, created) into ``curricula``, keeping creation order
    insert_curriculum: ClassVar[str]
    #: INSERT of (curriculum, seq, body) into ``snapshots``, replacing one at the same seq
    upsert_snapshot: ClassVar[str]
    driver_error: ClassVar[type[Exception]]
    driver_name: ClassVar[str]

    _all: list[Any]
    _all_lock: threading.Lock

    @abstractmethod
    def _reader(self) -> Any:
        """This thread's reading connection."""

    def _sql(self, query: str) -> str:
        return _with_placeholder(query, self.placeholder)

    def _statements(self, ops: Sequence[Op]) -> Iterator[tuple[str, Any, bool]]:
        """``ops`` in order as (SQL, parameters, executemany?); each run of consecutive
        appends is merged into one ``executemany`` of its event rows."""
        sql = self._sql
        rows: list[EventTuple] = []
        for op in ops:
            if isinstance(op, AppendOp):
                rows += [(op.curriculum, e.seq, e.type, e.body) for e in op.events]
                continue
            if rows:
                yield sql(_INSERT_EVENT), rows, True
                rows = []
            if isinstance(op, CreateOp):
                e = op.event
                yield sql(self.insert_curriculum), (op.id, op.name, op.config, op.created), False
                yield sql(_INSERT_EVENT), (op.id, e.seq, e.type, e.body), False
            elif isinstance(op, SnapshotOp):
                yield sql(self.upsert_snapshot), (op.curriculum, op.seq, op.body), False
                yield sql(_DELETE_OLDER_SNAPSHOTS), (op.curriculum, op.seq), False
            elif isinstance(op, DeleteOp):
                for statement in _DELETE_CURRICULUM:
                    yield sql(statement), (op.curriculum,), False
            else:  # pragma: no cover - the Op union is closed
                raise TypeError(f"unknown store operation {type(op).__name__}")
        if rows:
            yield sql(_INSERT_EVENT), rows, True

    def _execute(self, target: Any, ops: Sequence[Op]) -> None:
        """Run the statements of ``ops`` on ``target``, a connection or a cursor (the caller
        holds the transaction)."""
        for sql, params, many in self._statements(ops):
            if many:
                target.executemany(sql, params)
            else:
                target.execute(sql, params)

    def _query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """All rows of ``query`` (``?`` placeholders); raises :class:`StoreError` if the
        store cannot be read."""
        try:
            rows: list[tuple[Any, ...]] = (
                self._reader().execute(self._sql(query), params).fetchall()
            )
        except self.driver_error as exc:
            raise StoreError(f"the {self.driver_name} store could not be read: {exc}") from exc
        return rows

    def close(self) -> None:
        with self._all_lock:
            cons, self._all = self._all, []
        for con in cons:
            with contextlib.suppress(self.driver_error):
                con.close()

    def curricula(self) -> list[CurriculumRecord]:
        rows = self._query(
            "SELECT c.id, c.name, c.config, c.created, "
            "(SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.curriculum = c.id) "
            "FROM curricula c ORDER BY c.position"
        )
        return [CurriculumRecord(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]

    def read_events(
        self, curriculum: str, *, after: int = 0, upto: int | None = None, limit: int = 10_000
    ) -> list[EventRow]:
        rows = self._query(
            "SELECT seq, type, body FROM events WHERE curriculum = ? AND seq > ? "
            "AND seq <= ? ORDER BY seq LIMIT ?",
            (curriculum, after, upto if upto is not None else 2**62, limit),
        )
        return [EventRow(int(r[0]), r[1], r[2]) for r in rows]

    def latest_snapshot(self, curriculum: str) -> tuple[int, bytes] | None:
        rows = self._query(
            "SELECT seq, body FROM snapshots WHERE curriculum = ? ORDER BY seq DESC LIMIT 1",
            (curriculum,),
        )
        return None if not rows else (int(rows[0][0]), bytes(rows[0][1]))


_INSERT_EVENT = "INSERT INTO events (curriculum, seq, type, body) VALUES (?, ?, ?, ?)"
_DELETE_OLDER_SNAPSHOTS = "DELETE FROM snapshots WHERE curriculum = ? AND seq < ?"
_DELETE_CURRICULUM = (
    "DELETE FROM events WHERE curriculum = ?",
    "DELETE FROM snapshots WHERE curriculum = ?",
    "DELETE FROM curricula WHERE id = ?",
)


@functools.cache
def _with_placeholder(query: str, placeholder: str) -> str:
    return query.replace("?", placeholder)
