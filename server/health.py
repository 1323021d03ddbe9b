"""What the service reports about itself, and how it meets faults: the store's health for
/healthz, curricula whose stored history failed to load, and SIGTERM.

/healthz must stay cheap and tell an orchestrator whether writes work *now*. The writer
records how its latest write went; when that is older than a second, /healthz adds a
probe (a one-row write through the same writer, so it queues behind real writes and
fails exactly when they would). The claim is read from the store without a round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.errors import StoreError, UnavailableError
from server.loading import Loaded, load_curriculum
from server.store import CorruptLogError, CurriculumRecord, EventStore
from server.writer import Writer
from teacher import TeacherError

__all__ = ["FailedCurriculum", "FailedCurricula", "Health", "LOAD_ERRORS", "StoreProbe",
           "chain_sigterm", "load_checked"]

log = logging.getLogger(__name__)

#: /healthz probes the store with a tiny write when its last write is older than this
PROBE_AFTER_S = 1.0
PROBE_TIMEOUT_S = 5.0
#: what a stored curriculum's history can fail to load with (the others still load)
LOAD_ERRORS = (CorruptLogError, TeacherError, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class FailedCurriculum:
    """A stored curriculum this server could not load, and why."""

    id: str
    name: str
    reason: str


class FailedCurricula:
    """The stored curricula this server left out because their history is unusable, by
    id; their requests, and creating another curriculum under one of their names, are
    refused (503) naming them."""

    def __init__(self) -> None:
        self._by_id: dict[str, FailedCurriculum] = {}

    def add(self, cid: str, name: str, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        self._by_id[cid] = FailedCurriculum(cid, name, reason)
        log.error("curriculum %s (%s) cannot be served and is left out; the others serve: "
                  "%s", cid, name, reason)

    def all(self) -> list[FailedCurriculum]:
        return list(self._by_id.values())

    def refusal(self, cid: str) -> UnavailableError | None:
        """The error for a request to ``cid``, if it is a failed curriculum."""
        failed = self._by_id.get(cid)
        if failed is None:
            return None
        return UnavailableError(
            f"curriculum_id {cid!r} ({failed.name!r}): its stored history could not be "
            f"loaded, so it is not served ({failed.reason})"
        )

    def name_refusal(self, name: str) -> UnavailableError | None:
        """The error for creating a curriculum named like a failed one, if any."""
        for failed in self._by_id.values():
            if failed.name == name:
                return UnavailableError(
                    f"name: {name!r} belongs to stored curriculum {failed.id!r}, which could "
                    "not be loaded (see /healthz); choose another name"
                )
        return None


@dataclass(frozen=True)
class Health:
    """Whether the store takes writes now and is claimed by this process, why not, and
    the stored curricula that failed to load."""

    writable: bool
    claimed: bool
    error: str | None
    failed: list[FailedCurriculum]


def load_checked(store: EventStore, record: CurriculumRecord) -> Loaded:
    """:func:`server.loading.load_curriculum`, after checking that no event row is
    missing (a gap before the snapshot would otherwise go unnoticed)."""
    if 0 <= record.n_events != record.last_seq:
        raise CorruptLogError(
            record.id, f"the log of curriculum {record.id!r} is damaged: "
            f"{record.last_seq - record.n_events} of its events 1..{record.last_seq} are missing"
        )
    return load_curriculum(store, record)


class StoreProbe:
    """The store part of /healthz (one probe in flight at a time, shared by callers)."""

    def __init__(self, store: EventStore):
        self.store = store
        self._probe: asyncio.Future[None] | None = None

    async def check(self, writer: Writer | None,
                    failed: list[FailedCurriculum]) -> Health:
        claimed = self.store.claim_held()
        if writer is None:
            return Health(False, claimed, "the service is not running", failed)
        latest = max(writer.last_ok or -1e18, writer.last_error_at or -1e18)
        if time.monotonic() - latest > PROBE_AFTER_S:
            if self._probe is None or self._probe.done():
                self._probe = writer.probe()
            try:
                await asyncio.wait_for(asyncio.shield(self._probe), PROBE_TIMEOUT_S)
            except StoreError:
                pass  # recorded by the writer as its latest outcome
            except TimeoutError:
                return Health(False, claimed,
                              f"a probe write did not finish within {PROBE_TIMEOUT_S:g} s",
                              failed)
        return Health(writer.last_error is None and claimed, claimed,
                      writer.last_error if claimed else (writer.last_error or
                                                         "this server does not hold the "
                                                         "store's claim"), failed)


def chain_sigterm(callback: Callable[[], None]) -> None:
    """Run ``callback`` on the running loop when SIGTERM (or SIGINT) arrives, then the
    handler in place (uvicorn's graceful shutdown). Only in the main thread, where signal
    handlers live; a no-op elsewhere (a test client's thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def on_signal(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(callback)
            if callable(previous):
                previous(signum, frame)

        with contextlib.suppress(ValueError):
            signal.signal(sig, on_signal)
