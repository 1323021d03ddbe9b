"""Reading the durable event log of a live curriculum: whole (exports), as a stream of
JSON lines that can follow new events, and the check of what a snapshot covered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from server.errors import StoreError
from server.live import LiveCurriculum
from server.store import CorruptLogError, EventRow, EventStore

__all__ = ["read_all", "first_rows", "stream", "verify_covered"]

log = logging.getLogger(__name__)

_READ_CHUNK = 5_000
_EXPORT_CHUNK = 50_000
_VERIFY_CHUNK = 20_000


async def read_all(store: EventStore, live: LiveCurriculum, after: int) -> list[EventRow]:
    """Every durable event of ``live`` after ``after``, read off the event loop."""
    upto = live.committed_seq
    rows: list[EventRow] = []
    while True:
        chunk = await asyncio.to_thread(
            store.read_events, live.id, after=after, upto=upto, limit=_EXPORT_CHUNK
        )
        rows += chunk
        if len(chunk) < _EXPORT_CHUNK:
            return rows
        after = chunk[-1].seq


async def first_rows(
    store: EventStore, live: LiveCurriculum, after: int, *, follow: bool
) -> list[EventRow]:
    """The first chunk :func:`stream` sends, read before a response starts, so that a
    damaged log is an error status rather than a stream cut after its ``200``."""
    upto = None if follow else live.committed_seq
    return await asyncio.to_thread(
        store.read_events, live.id, after=after, upto=upto, limit=_READ_CHUNK
    )


async def stream(
    store: EventStore, live: LiveCurriculum, after: int, *, follow: bool, heartbeat_s: float,
    ending: Callable[[], bool], first: list[EventRow],
) -> AsyncIterator[bytes]:
    """JSON lines of the durable events after ``after``, starting with ``first`` (from
    :func:`first_rows`); with ``follow`` new events as they become durable (an empty line
    after ``heartbeat_s`` of silence) until the curriculum goes or ``ending()`` (the
    server is shutting down)."""
    upto = None if follow else live.committed_seq
    rows, pending = first, True
    while True:
        if not pending:
            rows = await asyncio.to_thread(
                store.read_events, live.id, after=after, upto=upto, limit=_READ_CHUNK
            )
        pending = False
        if rows:
            after = rows[-1].seq
            yield "".join(f"{r.body}\n" for r in rows).encode()
            if len(rows) == _READ_CHUNK:
                continue
        if not follow or live.deleted or ending():
            return
        if live.committed_seq > after:
            continue
        if not await live.wait_change(heartbeat_s):
            yield b"\n"


async def verify_covered(
    store: EventStore, lives: list[LiveCurriculum], ending: Callable[[], bool],
    on_damaged: Callable[[LiveCurriculum, CorruptLogError], Awaitable[None]],
) -> None:
    """Read (checksums, continuity) the part of each log that loading skipped because a
    snapshot covered it, calling ``on_damaged`` for a damaged one."""
    for live in lives:
        after = 0
        try:
            while after < live.snapshot_seq and not ending():
                rows = await asyncio.to_thread(
                    store.read_events, live.id, after=after, upto=live.snapshot_seq,
                    limit=_VERIFY_CHUNK)
                if not rows:
                    break
                after = rows[-1].seq
        except CorruptLogError as exc:
            await on_damaged(live, exc)
        except StoreError as exc:
            log.warning("verifying the log of %s stopped: %s", live.id, exc)
            return
