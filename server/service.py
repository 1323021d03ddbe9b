"""The curriculum service: live curricula, their event store and their fits.

Concurrency model: one process, one asyncio event loop. A request that changes a
curriculum takes that curriculum's lock, validates, changes the in-memory
:class:`teacher.Curriculum` (validate-then-mutate), hands the new events to the writer
and releases the lock; it is answered once the writer has committed those events
(group commit: concurrent requests share a transaction). If a write fails, the curriculum
is rebuilt from the store before its next request, so memory never runs ahead of the log.
Fits run in worker processes and are installed at the first request after they complete;
that position is their ``fit`` event.

A curriculum whose stored history cannot be loaded (a damaged log, an unreadable event)
does not stop the others: it is reported as failed (named, with the reason) in /healthz
and its requests answer 503, while every other curriculum serves.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence

from server import logstream, snapshots
from server.errors import (
    CurriculumNotFoundError,
    NameConflictError,
    StoreError,
    TaskNotFoundError,
    UnavailableError,
)
from server.fitting import FitRunner, FitScheduler
from server.health import (
    LOAD_ERRORS,
    FailedCurricula,
    FailedCurriculum,
    Health,
    StoreProbe,
    chain_sigterm,
    load_checked,
)
from server.live import LiveCurriculum
from server.loading import task_id_prefix
from server.spec import build_config, config_diff
from server.store import CorruptLogError, EventRow, EventStore
from server.writer import Writer
from teacher import (
    Curriculum,
    EvaluationEvent,
    EvaluationIn,
    Event,
    ReportOutcome,
    ResultIn,
    ScoreIn,
    TaskEvent,
    UnknownTaskIdError,
)
from teacher.config import CurriculumFields
from teacher.leases import overdue_tasks

__all__ = ["CurriculumService"]

log = logging.getLogger(__name__)



class CurriculumService:
    """Every live curriculum of this process (see the module docstring).

    store: the event store. snapshot_every: events between snapshots of a curriculum.
    fit_workers: processes computing fits. heartbeat_s: idle time after which a followed
    event stream sends an empty line. task_lease_s: seconds before a pending task
    expires (checked at each task request and report; 0: never). observe_*: optional
    metric hooks.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        snapshot_every: int = 50_000,
        fit_workers: int = 1,
        heartbeat_s: float = 15.0,
        task_lease_s: float = 0.0,
        observe_fit: Callable[[float], None] | None = None,
        observe_commit: Callable[[float, int], None] | None = None,
    ):
        self.store = store
        self.snapshot_every = snapshot_every
        self.heartbeat_s = heartbeat_s
        self.task_lease_s = task_lease_s
        self._observe_commit = observe_commit
        self._runner = FitRunner(fit_workers)
        self._fits = FitScheduler(self._runner, observe=observe_fit,
                                  stopping=lambda: self._stopping)
        self._live: dict[str, LiveCurriculum] = {}
        self._by_name: dict[str, str] = {}
        self._names_lock = asyncio.Lock()
        self._writer: Writer | None = None
        self._stopping = False
        self._draining = False  # SIGTERM: followed streams end, requests still served
        self._failed = FailedCurricula()
        self._store_probe = StoreProbe(store)
        self._verifier: asyncio.Task[None] | None = None

    @property
    def fit_failures(self) -> int:
        """Fits that raised in the worker processes since the start."""
        return self._fits.failures

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Load every stored curriculum (snapshot + newer events), then start writing."""
        loop = asyncio.get_running_loop()
        warm = loop.run_in_executor(None, self._runner.warm_up)
        warm.add_done_callback(_log_failure("starting the fit worker processes"))
        writer = Writer(self.store, loop, on_commit=self._on_commit,
                        on_batch=self._observe_commit)
        records = await asyncio.to_thread(self.store.curricula)
        catch_up: list[LiveCurriculum] = []
        for rec in records:
            try:
                loaded = await asyncio.to_thread(load_checked, self.store, rec)
            except LOAD_ERRORS as exc:
                self._failed.add(rec.id, rec.name, exc)
                continue
            cur = loaded.curriculum
            live = LiveCurriculum(rec.id, rec.name, rec.created, cur,
                                  committed_seq=cur.seq, snapshot_seq=loaded.snapshot_seq)
            log.info("curriculum %s (%s): %d events, %d replayed after snapshot %d",
                     rec.id, rec.name, cur.seq, loaded.replayed, loaded.snapshot_seq)
            self._live[rec.id] = live
            self._by_name[rec.name] = rec.id
            writer.register(rec.id, cur.seq)
            if loaded.replayed >= self.snapshot_every:
                catch_up.append(live)
        self._writer = writer
        for live in catch_up:
            self._snapshot(live)
        for live in self._live.values():
            self._fits.schedule(live)
        behind = [live for live in self._live.values() if live.snapshot_seq > 0]
        if behind:
            # What the snapshots cover was not read at load: check it in the background.
            self._verifier = asyncio.create_task(logstream.verify_covered(
                self.store, behind, lambda: self._stopping, self._take_out_locked))

    async def _take_out_locked(self, live: LiveCurriculum, exc: BaseException) -> None:
        async with live.lock:
            self._take_out(live, exc)

    def _take_out(self, live: LiveCurriculum, exc: BaseException) -> None:
        """Stop serving ``live`` (its stored history is unusable); the others go on."""
        if live.deleted:  # already taken out (or deleted): the first reason stands
            return
        self._failed.add(live.id, live.name, exc)
        self._live.pop(live.id, None)
        self._by_name.pop(live.name, None)
        live.deleted = True
        live.notify()

    @property
    def failed(self) -> list[FailedCurriculum]:
        """Stored curricula that failed to load (oldest first)."""
        return self._failed.all()

    def watch_sigterm(self) -> None:
        """On SIGTERM, end followed event streams at once (cleanly, between events)
        before uvicorn's graceful shutdown, which would otherwise wait for those endless
        responses and abort them after its timeout (call from the app's startup)."""
        chain_sigterm(self.drain)

    async def health(self) -> Health:
        """For /healthz: store writability and claim (cheap), failed curricula."""
        return await self._store_probe.check(self._writer, self.failed)

    def drain(self) -> None:
        """End every followed event stream (shutdown begins); other requests still run."""
        self._draining = True
        for live in self._live.values():
            live.notify()

    async def stop(self) -> None:
        """Snapshot what changed, write everything queued, stop the fit workers."""
        self._stopping = True
        self.drain()
        if self._verifier is not None:
            self._verifier.cancel()
        writer = self._writer
        try:
            if writer is None:
                return
            for live in self._live.values():
                live.notify()
                async with live.lock:
                    if not live.broken and live.cur.seq > live.snapshot_seq:
                        self._snapshot(live)
            await writer.aclose()
            self._writer = None
        finally:
            self._runner.shutdown()

    @property
    def writer(self) -> Writer:
        """The writer, for requests: refused while starting or shutting down."""
        if self._writer is None or self._stopping:
            raise UnavailableError("the service is not running (starting or shutting down)")
        return self._writer

    # -- queries ------------------------------------------------------------------------------
    def get(self, curriculum_id: str) -> LiveCurriculum:
        live = self._live.get(curriculum_id)
        if live is None:
            refusal = self._failed.refusal(curriculum_id)
            if refusal is not None:
                raise refusal
            raise CurriculumNotFoundError(f"curriculum_id {curriculum_id!r}: no such curriculum")
        return live

    async def current(self, curriculum_id: str) -> LiveCurriculum:
        """The curriculum, rebuilt from the store first if one of its writes failed."""
        live = self.get(curriculum_id)
        if live.broken:
            async with live.lock:
                await self._ensure_sound(live)
        return live

    def curricula(self, name: str | None = None) -> list[LiveCurriculum]:
        if name is not None:
            cid = self._by_name.get(name)
            return [] if cid is None else [self._live[cid]]
        return list(self._live.values())

    def __len__(self) -> int:
        return len(self._live)

    # -- curricula ----------------------------------------------------------------------------
    async def create(self, spec: CurriculumFields) -> tuple[LiveCurriculum, bool]:
        """Create a curriculum; returns (it, True). An existing one of the same name and
        configuration is returned as (it, False); a different one is a conflict."""
        config = build_config(spec)
        writer = self.writer
        async with self._names_lock:
            refusal = self._failed.name_refusal(config.name)
            if refusal is not None:
                raise refusal
            existing = self._by_name.get(config.name)
            if existing is not None:
                live = self._live[existing]
                diff = config_diff(live.config, config)
                if diff:
                    raise NameConflictError(
                        f"name: a curriculum named {config.name!r} already exists "
                        f"(id {existing!r}) with a different configuration (differs in: "
                        f"{', '.join(diff)})"
                    )
                return live, False
            cid = self._new_id()
            cur = Curriculum(config, fit_mode="defer", task_id_prefix=task_id_prefix(cid))
            created = cur.created_event()
            live = LiveCurriculum(cid, config.name, created.time, cur,
                                  committed_seq=0, snapshot_seq=0)
            self._live[cid] = live
            self._by_name[config.name] = cid
            try:
                await writer.create(cid, config.name, config, created)
            except StoreError:
                del self._live[cid]
                del self._by_name[config.name]
                raise
        return live, True

    def _new_id(self) -> str:
        while True:
            cid = secrets.token_hex(6)
            if cid not in self._live:
                return cid

    async def delete(self, curriculum_id: str) -> None:
        """Remove a curriculum and its whole log from the store (irreversible)."""
        writer = self.writer
        async with self._names_lock:
            live = self.get(curriculum_id)
            async with live.lock:
                live.deleted = True
                del self._live[live.id]
                del self._by_name[live.name]
                ticket = writer.delete(live.id)
            try:
                await ticket
            except StoreError:
                live.deleted = False
                live.broken = True
                self._live[live.id] = live
                self._by_name[live.name] = live.id
                raise
        self._fits.cancel(live)
        live.notify()

    # -- tasks, results, evaluations ----------------------------------------------------------
    async def issue_tasks(
        self, curriculum_id: str, count: int, request_id: str | None = None
    ) -> list[TaskEvent]:
        """Issue ``count`` tasks. A ``request_id`` seen before gets the tasks issued for it
        again, once they are durable: a retry after a lost answer adds no pending task."""
        live = self.get(curriculum_id)
        async with live.lock:
            await self._ensure_sound(live)
            if request_id is not None and request_id in live.cur.requests:
                events: list[Event] = []
                tasks = live.cur.issue_tasks(count, request_id)  # the same, or a conflict
            else:
                events = self._expire_leases(live) + self._fits.take_ready(live)
                tasks = live.cur.issue_tasks(count, request_id)
                events.extend(tasks)
            ticket = self._append(live, events)
        await ticket
        return tasks

    async def report(self, curriculum_id: str, results: Sequence[ResultIn]) -> ReportOutcome:
        """Store results and feed them to the teacher (all or nothing, in order)."""
        live = self.get(curriculum_id)
        async with live.lock:
            await self._ensure_sound(live)
            live.cur.check_results(results)  # raises before anything changes
            events = self._expire_leases(live) + self._fits.take_ready(live)
            outcome = live.cur.report(results)
            # Even with nothing new this waits for earlier writes: a duplicate is only
            # acknowledged once the original is durable.
            ticket = self._append(live, events + outcome.events)
            self._fits.schedule(live)
        await ticket
        return outcome

    async def report_scores(self, curriculum_id: str, scores: Sequence[ScoreIn]) -> ReportOutcome:
        """Store late scores of reported results and feed them to the teacher (all or
        nothing, in order); answered once durable, like results."""
        live = self.get(curriculum_id)
        async with live.lock:
            await self._ensure_sound(live)
            try:
                live.cur.check_scores(scores)  # raises before anything changes
            except UnknownTaskIdError as exc:
                raise TaskNotFoundError(str(exc)) from None
            events = self._expire_leases(live) + self._fits.take_ready(live)
            outcome = live.cur.report_scores(scores)
            # A duplicate too waits for earlier writes (the original must be durable).
            ticket = self._append(live, events + outcome.events)
            self._fits.schedule(live)
        await ticket
        return outcome

    async def record_evaluations(
        self, curriculum_id: str, evaluations: Sequence[EvaluationIn]
    ) -> list[EvaluationEvent]:
        live = self.get(curriculum_id)
        async with live.lock:
            await self._ensure_sound(live)
            events = live.cur.record_evaluations(evaluations)
            ticket = self._append(live, list(events))
        await ticket
        return events

    def _expire_leases(self, live: LiveCurriculum) -> list[Event]:
        """The ``expired`` event of tasks whose lease ran out (teacher.leases).

        Every task and result request asks, and the answer is nearly always "none"; it is
        found without parsing the issue time of every pending task (that was 5% of the
        event loop's time with 64 students): the times are stamps of one clock in one
        fixed-width ISO 8601 format, so the smallest string is the oldest task, and if its
        lease has not run out, no other has."""
        issued = live.cur.issued
        if not self.task_lease_s or not issued:
            return []
        if not overdue_tasks({"": min(issued.values())}, live.cur.clock(), self.task_lease_s):
            return []
        return list(live.cur.expire_tasks(self.task_lease_s))

    def _append(self, live: LiveCurriculum, events: list[Event]) -> asyncio.Future[None]:
        ticket = self.writer.append(live.id, events)
        if live.cur.seq - live.snapshot_seq >= self.snapshot_every:
            self._snapshot(live)
        return ticket

    def _snapshot(self, live: LiveCurriculum) -> None:
        if self._writer is None:
            return
        state = snapshots.capture(live.cur)
        live.snapshot_seq = live.cur.seq
        fut = self._writer.snapshot(live.id, live.cur.seq, state)
        fut.add_done_callback(_log_failure(f"storing the snapshot of {live.id} at seq "
                                           f"{live.cur.seq}"))

    async def _ensure_sound(self, live: LiveCurriculum) -> None:
        """Rebuild ``live`` from the store if one of its writes failed (under its lock)."""
        if live.deleted:
            raise CurriculumNotFoundError(f"curriculum_id {live.id!r}: no such curriculum")
        if not live.broken:
            return
        # Let every write queued before settle, so the store holds all that will commit.
        await asyncio.gather(self.writer.append(live.id, []), return_exceptions=True)
        records = [r for r in await asyncio.to_thread(self.store.curricula) if r.id == live.id]
        if not records:
            raise UnavailableError(f"curriculum {live.id!r} is missing from the store")
        try:
            loaded = await asyncio.to_thread(load_checked, self.store, records[0])
        except LOAD_ERRORS as exc:
            self._take_out(live, exc)
            raise self._failed.refusal(live.id) or UnavailableError(str(exc)) from exc
        # The store is the truth: a write whose reply was lost may have committed.
        self.writer.register(live.id, loaded.curriculum.seq)
        live.cur = loaded.curriculum
        live.committed_seq = loaded.curriculum.seq
        live.snapshot_seq = loaded.snapshot_seq
        live.broken = False
        log.warning("curriculum %s rebuilt from the store at seq %d after a failed write",
                    live.id, live.cur.seq)
        self._fits.reset(live)

    # -- store callbacks ----------------------------------------------------------------------
    def _on_commit(self, committed: dict[str, int], failed: set[str]) -> None:
        for cid, seq in committed.items():
            live = self._live.get(cid)
            if live is not None:
                live.committed_seq = seq
                live.notify()
        for cid in failed:
            live = self._live.get(cid)
            if live is not None:
                live.broken = True

    # -- the event log ------------------------------------------------------------------------
    async def read_log(self, curriculum_id: str, *, after: int = 0) -> list[EventRow]:
        """Every durable event after ``after`` (for exports)."""
        return await logstream.read_all(self.store, self.get(curriculum_id), after)

    async def open_log_stream(
        self, curriculum_id: str, *, after: int = 0, follow: bool = False
    ) -> AsyncIterator[bytes]:
        """JSON lines of the durable events after ``after``; with ``follow`` the stream
        stays open and yields new events as they become durable (an empty line after
        ``heartbeat_s`` of silence), until the curriculum is deleted or the server stops
        (SIGTERM included). The first chunk is read here, before any byte is sent, so an
        unknown curriculum or a damaged log (which takes the curriculum out of service)
        raises instead of cutting a stream that already answered ``200``."""
        live = self.get(curriculum_id)
        try:
            first = await logstream.first_rows(self.store, live, after, follow=follow)
        except CorruptLogError as exc:
            await self._take_out_locked(live, exc)
            raise
        return logstream.stream(
            self.store, live, after, follow=follow, heartbeat_s=self.heartbeat_s,
            ending=lambda: self._stopping or self._draining, first=first,
        )


def _log_failure(what: str) -> Callable[[asyncio.Future[None]], None]:
    def done(fut: asyncio.Future[None]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            log.warning("%s failed: %s", what, fut.exception())

    return done

