"""The event store interface: curricula, their append-only event logs, and snapshots.

A store holds, per curriculum, its record (id, unique name, configuration), its events
numbered by ``seq`` from 1 without gaps (each the JSON text of one event in the teacher
library's format), and its latest snapshot. ``write`` applies a batch of operations in one
transaction; the server calls it from its single writer and answers a request only after
the batch holding its events has been written. Reads may come from any thread.

Every event row carries a CRC-32 of (curriculum, seq, type, body); reads check it and the
log's continuity, so a garbled or missing row is reported (:class:`CorruptLogError`,
naming the curriculum and the seq) instead of served. Rows written before checksums
existed (store schema 1) have none and are read as they are.
A backend (SQLite, PostgreSQL, a new one) implements this class and is chosen by URL scheme in
:func:`server.store.open_store`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import zlib
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
    "event_crc",
    "BatchDataError",
    "CorruptLogError",
    "ProbeOp",
    "SQLStore",
]


class BatchDataError(StoreError):
    """A batch was refused because of what one of its operations holds (a value the
    database cannot store, a constraint): nothing was stored, and the other operations
    may succeed on their own (the writer isolates the offending one)."""


class CorruptLogError(StoreError):
    """The stored log of ``curriculum`` is damaged (a row that fails its checksum, a gap
    in its seqs); the other curricula are unaffected."""

    def __init__(self, curriculum: str, message: str):
        super().__init__(message)
        self.curriculum = curriculum


def event_crc(curriculum: str, seq: int, type: str, body: str) -> int:
    """CRC-32 of an event row: its curriculum, seq, type and body."""
    return zlib.crc32(f"{curriculum}\x1f{seq}\x1f{type}\x1f{body}".encode())


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
    n_events: int = -1  # rows stored (== last_seq for a gap-free log; -1: not counted)


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


@dataclass(frozen=True)
class ProbeOp:
    """Touch the store's health row: a write that proves the store takes writes."""


Op = CreateOp | AppendOp | SnapshotOp | DeleteOp | ProbeOp

#: an event as the parameters of an INSERT: (curriculum, seq, type, body, crc)
EventTuple = tuple[str, int, str, str, int]

#: the store schema this release writes; older ones are migrated (see MIGRATIONS)
SCHEMA_VERSION = "2"
#: store schema version -> statements that bring it to the next version
MIGRATIONS: dict[str, list[str]] = {
    "1": ["ALTER TABLE events ADD COLUMN crc BIGINT"],  # NULL: rows written before
}


def check_schema_version(found: str | None, expected: str, where: str) -> list[str]:
    """The statements that bring the store at ``where`` from schema ``found`` (None: a
    new store, nothing to do) to ``expected``, in order; raises :class:`StoreError` if
    ``found`` is a version this release cannot migrate (a newer one)."""
    steps: list[str] = []
    version = found
    while version is not None and version != expected:
        if version not in MIGRATIONS:
            raise StoreError(
                f"{where} has store schema {found!r}; this server knows {expected!r} "
                f"and migrates from {sorted(MIGRATIONS)}"
            )
        steps += MIGRATIONS[version]
        version = str(int(version) + 1)
    return steps


class EventStore(ABC):
    """Durable storage of curricula (see the module docstring)."""

    #: what a successful ``write`` survives, for /healthz and the docs
    durability: str = "unknown"
    #: whether the writer should call ``write`` from a thread of its own (a network
    #: round trip) rather than on the event loop (a local commit of microseconds)
    write_off_loop: bool = False

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

    def claim_held(self) -> bool:
        """Whether this process holds the claim now (cheap: no round trip)."""
        return True

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
    #: driver errors caused by what a batch holds (see :class:`BatchDataError`)
    data_errors: ClassVar[tuple[type[Exception], ...]]
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
                rows += [_event_tuple(op.curriculum, e) for e in op.events]
                continue
            if rows:
                yield sql(_INSERT_EVENT), rows, True
                rows = []
            if isinstance(op, CreateOp):
                yield sql(self.insert_curriculum), (op.id, op.name, op.config, op.created), False
                yield sql(_INSERT_EVENT), _event_tuple(op.id, op.event), False
            elif isinstance(op, SnapshotOp):
                yield sql(self.upsert_snapshot), (op.curriculum, op.seq, op.body), False
                yield sql(_DELETE_OLDER_SNAPSHOTS), (op.curriculum, op.seq), False
            elif isinstance(op, DeleteOp):
                for statement in _DELETE_CURRICULUM:
                    yield sql(statement), (op.curriculum,), False
            elif isinstance(op, ProbeOp):
                yield sql(_TOUCH_PROBE), (f"{time.time():.3f}",), False
            else:  # pragma: no cover - the Op union is closed
                raise TypeError(f"unknown store operation {type(op).__name__}")
        if rows:
            yield sql(_INSERT_EVENT), rows, True

    def _write_error(self, exc: Exception) -> StoreError:
        """The :class:`StoreError` a failed write raises, saying why."""
        cls = BatchDataError if isinstance(exc, self.data_errors) else StoreError
        return cls(f"the {self.driver_name} store could not be written: {exc}")

    def _execute(self, target: Any, ops: Sequence[Op]) -> None:
        """Run the statements of ``ops`` on ``target``, a connection or a cursor (the caller
        holds the transaction)."""
        for sql, params, many in self._statements(ops):
            if many:
                target.executemany(sql, params)
            else:
                target.execute(sql, params)

    def _query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """All rows of ``query`` (``?`` placeholders); a connection found broken (the
        database restarted since its last use) is replaced and the query run once more.
        Raises :class:`StoreError` if the store cannot be read."""
        for attempt in (1, 2):
            con = self._reader()
            try:
                rows: list[tuple[Any, ...]] = con.execute(self._sql(query), params).fetchall()
                return rows
            except self.driver_error as exc:
                if attempt == 1 and self._broken(con):
                    continue
                raise StoreError(f"the {self.driver_name} store could not be read: {exc}") \
                    from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _broken(self, con: Any) -> bool:
        """Whether ``con`` lost its connection (a network database's)."""
        return False

    def close(self) -> None:
        with self._all_lock:
            cons, self._all = self._all, []
        for con in cons:
            with contextlib.suppress(self.driver_error):
                con.close()

    def curricula(self) -> list[CurriculumRecord]:
        rows = self._query(
            "SELECT c.id, c.name, c.config, c.created, COALESCE(e.last, 0), "
            "COALESCE(e.n, 0) FROM curricula c LEFT JOIN (SELECT curriculum, MAX(seq) AS "
            "last, COUNT(*) AS n FROM events GROUP BY curriculum) e ON e.curriculum = c.id "
            "ORDER BY c.position"
        )
        return [CurriculumRecord(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]

    def read_events(
        self, curriculum: str, *, after: int = 0, upto: int | None = None, limit: int = 10_000
    ) -> list[EventRow]:
        """See :meth:`EventStore.read_events`; raises :class:`CorruptLogError` if a row
        fails its checksum or the seqs after ``after`` (a seq of the log, or 0) skip one."""
        rows = self._query(
            "SELECT seq, type, body, crc FROM events WHERE curriculum = ? AND seq > ? "
            "AND seq <= ? ORDER BY seq LIMIT ?",
            (curriculum, after, upto if upto is not None else 2**62, limit),
        )
        out: list[EventRow] = []
        expected = after + 1
        for seq, type_, body, crc in rows:
            seq = int(seq)
            if seq != expected:
                raise CorruptLogError(
                    curriculum, f"the log of curriculum {curriculum!r} is damaged: events "
                    f"{expected}..{seq - 1} are missing"
                )
            if crc is not None and int(crc) != event_crc(curriculum, seq, type_, body):
                raise CorruptLogError(
                    curriculum, f"the log of curriculum {curriculum!r} is damaged: event "
                    f"{seq} fails its checksum"
                )
            out.append(EventRow(seq, type_, body))
            expected += 1
        return out

    def latest_snapshot(self, curriculum: str) -> tuple[int, bytes] | None:
        rows = self._query(
            "SELECT seq, body FROM snapshots WHERE curriculum = ? ORDER BY seq DESC LIMIT 1",
            (curriculum,),
        )
        return None if not rows else (int(rows[0][0]), bytes(rows[0][1]))


def _event_tuple(curriculum: str, e: EventRow) -> EventTuple:
    return (curriculum, e.seq, e.type, e.body, event_crc(curriculum, e.seq, e.type, e.body))


_INSERT_EVENT = "INSERT INTO events (curriculum, seq, type, body, crc) VALUES (?, ?, ?, ?, ?)"
_TOUCH_PROBE = "UPDATE meta SET value = ? WHERE key = 'probe'"
_DELETE_OLDER_SNAPSHOTS = "DELETE FROM snapshots WHERE curriculum = ? AND seq < ?"
_DELETE_CURRICULUM = (
    "DELETE FROM events WHERE curriculum = ?",
    "DELETE FROM snapshots WHERE curriculum = ?",
    "DELETE FROM curricula WHERE id = ?",
)


@functools.cache
def _with_placeholder(query: str, placeholder: str) -> str:
    return query.replace("?", placeholder)
