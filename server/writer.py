"""The single writer: group commit to the event store.

Requests change a curriculum in memory and hand the resulting events to :class:`Writer`;
the writer writes everything handed to it meanwhile in one transaction, then resolves the
requests' futures. A request is therefore answered only once its events are durable, and
one commit serves every request handed over in the meantime.

Where the commit runs depends on the store (``EventStore.write_off_loop``). SQLite: on
the event loop, flushing what one turn of the loop handed over; a WAL commit costs tens of
microseconds and a thread would fight the loop for the GIL at every hand-over, which
measured slower. PostgreSQL: in a thread of its own, one transaction at a time, so the
network round trip never pauses the loop; what arrives during a commit forms the next
batch.

One request's bad write never fails another's: when a batch is refused because of what
one of its operations holds (:class:`server.store.BatchDataError`), it is split by
curriculum and retried in halves, down to single items, so only the offending items
fail. Failures that concern the whole store (disk full, database down) fail the batch.

The log of a curriculum must stay gap-free. The writer checks that every append
continues the curriculum's committed ``seq`` and reports the curricula whose writes
failed through ``on_commit``; the service rebuilds those from the store before their
next request and re-registers their committed seq here (:meth:`register`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from server.errors import StoreError
from server.store import (
    AppendOp,
    BatchDataError,
    CreateOp,
    DeleteOp,
    EventRow,
    EventStore,
    Op,
    ProbeOp,
    SnapshotOp,
)
from teacher import CreatedEvent, CurriculumConfig, Event, event_to_json

__all__ = ["Writer", "encode_event"]

log = logging.getLogger(__name__)

CommitHook = Callable[[dict[str, int], set[str]], None]

#: the interpreter's GIL switch interval while a writer thread runs (Python's default: 5 ms)
_SWITCH_INTERVAL_S = 0.0005


def encode_event(e: Event) -> EventRow:
    """The stored form of an event: its JSON object (teacher format) as compact text.
    pydantic-core's encoder writes the same text as ``json.dumps`` four times faster."""
    return EventRow(e.seq, e.type, pydantic_core.to_json(event_to_json(e)).decode())


@dataclass
class _Item:
    kind: str  # create | append | snapshot | delete | probe
    curriculum: str
    future: asyncio.Future[None]
    events: list[Event] = field(default_factory=list)
    payload: Any = None


@dataclass
class _Entry:
    """An encoded item: its operation (None: nothing to write) and the curriculum's
    newest seq once it is written (-1: deleted)."""

    index: int
    curriculum: str
    op: Op | None
    seq: int | None


class Writer:
    """Group-commit writer over an :class:`EventStore` (see the module docstring).

    ``on_commit(committed, failed)`` runs after each batch: ``committed`` maps
    curriculum id -> newest durable seq, ``failed`` holds the curricula whose writes
    failed. ``on_batch(seconds, n_writes)`` observes each transaction.
    ``last_ok`` / ``last_error`` / ``last_error_at`` tell /healthz how the latest write went.
    """

    def __init__(
        self,
        store: EventStore,
        loop: asyncio.AbstractEventLoop,
        *,
        on_commit: CommitHook | None = None,
        on_batch: Callable[[float, int], None] | None = None,
    ):
        self.store = store
        self.loop = loop
        self.on_commit = on_commit
        self.on_batch = on_batch
        self._committed: dict[str, int] = {}
        self._pending: list[_Item] = []
        self._scheduled = False
        self._closed = False
        self._threaded = store.write_off_loop
        self._thread: ThreadPoolExecutor | None = None
        self._in_flight: asyncio.Future[dict[int, StoreError]] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.last_ok: float | None = None  # time.monotonic() of the latest committed write
        self.last_error: str | None = None  # why the latest write failed (None: it did not)
        self.last_error_at: float | None = None

    def register(self, curriculum: str, last_seq: int) -> None:
        """Declare a curriculum in the store with its newest seq (at startup, and after
        the service rebuilt it from the store following a failed write)."""
        self._committed[curriculum] = last_seq

    def forget(self, curriculum: str) -> None:
        self._committed.pop(curriculum, None)

    # -- writes -------------------------------------------------------------------------------
    def create(self, curriculum: str, name: str, config: CurriculumConfig,
               event: CreatedEvent) -> asyncio.Future[None]:
        return self._submit(_Item("create", curriculum, self.loop.create_future(), [event],
                                  (name, config)))

    def append(self, curriculum: str, events: list[Event]) -> asyncio.Future[None]:
        """Append ``events``; empty, it resolves once everything handed over before is
        durable (a barrier)."""
        return self._submit(_Item("append", curriculum, self.loop.create_future(), events))

    def snapshot(self, curriculum: str, seq: int, state: dict[str, Any]) -> asyncio.Future[None]:
        return self._submit(
            _Item("snapshot", curriculum, self.loop.create_future(), payload=(seq, state))
        )

    def delete(self, curriculum: str) -> asyncio.Future[None]:
        return self._submit(_Item("delete", curriculum, self.loop.create_future()))

    def probe(self) -> asyncio.Future[None]:
        """A tiny write (the store's health row), resolved once committed: proves the store
        takes writes now."""
        return self._submit(_Item("probe", "", self.loop.create_future()))

    def _submit(self, item: _Item) -> asyncio.Future[None]:
        if self._closed:
            item.future.set_exception(StoreError("the server is shutting down"))
            return item.future
        self._pending.append(item)
        if not self._scheduled and self._in_flight is None:
            self._scheduled = True
            self.loop.call_soon(self.flush)
        return item.future

    async def aclose(self) -> None:
        """Write what is pending, wait for it; later writes fail."""
        while self._in_flight is not None or self._pending:
            if self._in_flight is not None:
                with contextlib.suppress(Exception):  # its requests carry its failure
                    await asyncio.shield(self._in_flight)
            else:
                self.flush()
        self._closed = True
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    # -- flushing -----------------------------------------------------------------------------
    def flush(self) -> None:
        """Write everything pending in one transaction (on the loop, or handed to the
        writer thread) and resolve its futures once written."""
        self._scheduled = False
        if self._in_flight is not None:
            return  # the batch in flight schedules the next one when done
        batch, self._pending = self._pending, []
        if not batch:
            return
        started = time.perf_counter()
        try:
            entries, refused = self._encode_batch(batch)
        except Exception as exc:  # a bug must not leave requests waiting forever
            self._fail_everything(batch, exc)
            return
        if not self._threaded:
            try:
                failures = self._commit(entries)
            except Exception as exc:
                self._fail_everything(batch, exc)
                return
            self._settle(batch, entries, refused, failures, started)
            return
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
            # A thread that wakes up (its batch handed over, its commit answered) waits
            # for the busy loop to drop the GIL, by default up to 5 ms each time: that
            # wait, not the database, made most of a commit's latency under load.
            sys.setswitchinterval(min(sys.getswitchinterval(), _SWITCH_INTERVAL_S))
        fut = self.loop.run_in_executor(self._thread, self._commit, entries)
        self._in_flight = fut

        def done(f: asyncio.Future[dict[int, StoreError]]) -> None:
            self._in_flight = None
            if f.cancelled() or f.exception() is not None:
                self._fail_everything(batch, f.exception() or StoreError("write cancelled"))
            else:
                self._settle(batch, entries, refused, f.result(), started)
            if self._pending and not self._scheduled:
                self._scheduled = True
                self.loop.call_soon(self.flush)

        fut.add_done_callback(done)

    def _fail_everything(self, batch: list[_Item], exc: BaseException) -> None:
        log.error("event store writer failed", exc_info=exc)
        error = StoreError(f"the event store writer failed: {exc!r}")
        self._note(error)
        if self.on_commit is not None:
            self.on_commit({}, {item.curriculum for item in batch if item.curriculum})
        for item in batch:
            if not item.future.done():
                item.future.set_exception(error)

    def _note(self, error: StoreError | None) -> None:
        if error is None:
            self.last_ok, self.last_error = time.monotonic(), None
        else:
            self.last_error, self.last_error_at = str(error), time.monotonic()

    def _encode_batch(
        self, batch: list[_Item]
    ) -> tuple[list[_Entry], dict[int, StoreError]]:
        """Encode every item (in order, as if the whole batch commits); items that cannot
        be written (a gap, an unknown curriculum) are refused here."""
        touched: dict[str, int] = {}
        entries: list[_Entry] = []
        refused: dict[int, StoreError] = {}
        for index, item in enumerate(batch):
            try:
                op = self._encode(item, touched)
            except StoreError as exc:
                refused[index] = exc
                continue
            seq = touched.get(item.curriculum) if item.curriculum else None
            entries.append(_Entry(index, item.curriculum, op, seq))
        return entries, refused

    def _commit(self, entries: list[_Entry]) -> dict[int, StoreError]:
        """Write ``entries``; returns the error of each entry (by index) that failed.
        Runs on the loop or in the writer thread; touches no writer state."""
        ops = [e.op for e in entries if e.op is not None]
        if not ops:
            return {}
        try:
            self.store.write(ops)
            return {}
        except BatchDataError as exc:
            groups = _by_curriculum(entries)
            if len(groups) == 1 and len(groups[0]) == 1:
                return {entries[0].index: exc}
            if len(groups) == 1:  # one curriculum: in order, stopping at the first failure
                failures: dict[int, StoreError] = {}
                for n, entry in enumerate(entries):
                    failures.update(self._commit([entry]))
                    if failures:
                        gap = StoreError(f"an earlier write of curriculum "
                                         f"{entry.curriculum!r} in the same batch failed")
                        failures.update({e.index: gap for e in entries[n + 1:]})
                        return failures
                return {}
            half = len(groups) // 2
            first = [e for g in groups[:half] for e in g]
            second = [e for g in groups[half:] for e in g]
            return {**self._commit(first), **self._commit(second)}
        except StoreError as exc:
            return {e.index: exc for e in entries}

    def _settle(self, batch: list[_Item], entries: list[_Entry],
                refused: dict[int, StoreError], failures: dict[int, StoreError],
                started: float) -> None:
        """Update the committed seqs and resolve the futures of a written batch. A
        curriculum whose write failed keeps the seq of its last item written before."""
        errors = {**refused, **failures}
        committed: dict[str, int] = {}
        stopped: set[str] = set()
        for entry in entries:  # in batch order
            cid = entry.curriculum
            if not cid or cid in stopped:
                continue
            if entry.index in failures:
                stopped.add(cid)
            elif entry.seq is not None and entry.seq < 0:
                self._committed.pop(cid, None)
                committed.pop(cid, None)
            elif entry.seq is not None:
                committed[cid] = entry.seq
        self._committed.update(committed)
        failed = {batch[i].curriculum for i in errors if batch[i].curriculum}
        if failures:
            log.error("event store write failed: %s", next(iter(failures.values())))
        if entries:  # a refused value is one client's problem, not the store's health
            store_wide = [e for e in failures.values() if not isinstance(e, BatchDataError)]
            self._note(store_wide[0] if store_wide and len(failures) == len(entries) else None)
        if self.on_batch is not None:
            self.on_batch(time.perf_counter() - started, len(batch))
        if self.on_commit is not None:
            try:
                self.on_commit(committed, failed)
            except Exception:
                log.exception("on_commit hook failed")
        for index, item in enumerate(batch):
            if item.future.done():
                continue
            if index in errors:
                item.future.set_exception(errors[index])
            else:
                item.future.set_result(None)

    def _last(self, cid: str, touched: dict[str, int]) -> int | None:
        if cid in touched:
            seq = touched[cid]
            return None if seq < 0 else seq
        return self._committed.get(cid)

    def _encode(self, item: _Item, touched: dict[str, int]) -> Op | None:
        """Check that ``item`` continues its curriculum's log and encode it; ``touched``
        records each curriculum's newest seq as if the batch will commit (-1: deleted)."""
        cid = item.curriculum
        if item.kind == "probe":
            return ProbeOp()
        last = self._last(cid, touched)
        if item.kind == "create":
            if last is not None:
                raise StoreError(f"curriculum {cid!r} already exists in the store")
            name, config = item.payload
            event = item.events[0]
            touched[cid] = event.seq
            return CreateOp(cid, name, json.dumps(config.to_json(), allow_nan=False),
                            event.time, encode_event(event))
        if last is None:
            raise StoreError(f"curriculum {cid!r} is not in the store")
        if item.kind == "append":
            if not item.events:
                return None
            first = item.events[0].seq
            if first != last + 1 or item.events[-1].seq != last + len(item.events):
                raise StoreError(
                    f"events of curriculum {cid!r} do not continue its log at seq {last + 1} "
                    f"(got {first}..{item.events[-1].seq}); an earlier write failed"
                )
            try:
                rows = [encode_event(e) for e in item.events]
            except (TypeError, ValueError) as exc:
                raise StoreError(f"an event of curriculum {cid!r} cannot be encoded: {exc}") \
                    from exc
            touched[cid] = item.events[-1].seq
            return AppendOp(cid, rows)
        if item.kind == "snapshot":
            seq, state = item.payload
            if seq != last:
                raise StoreError(f"snapshot of {cid!r} at seq {seq} is not at its log's end")
            return SnapshotOp(cid, seq, pydantic_core.to_json(state))
        if item.kind == "delete":
            touched[cid] = -1
            return DeleteOp(cid)
        if item.kind == "probe":
            return ProbeOp()
        raise StoreError(f"unknown write {item.kind!r}")  # pragma: no cover


def _by_curriculum(entries: list[_Entry]) -> list[list[_Entry]]:
    """``entries`` grouped by curriculum, groups in order of first appearance."""
    groups: dict[str, list[_Entry]] = {}
    for e in entries:
        groups.setdefault(e.curriculum, []).append(e)
    return list(groups.values())
