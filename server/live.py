"""A curriculum held in memory by the server, with what surrounds it: its lock, the fit
being computed for it, and what followers of its event log wait on."""

from __future__ import annotations

import asyncio
import contextlib

from server.fitting import FitState
from teacher import Curriculum, CurriculumConfig

__all__ = ["LiveCurriculum"]


class LiveCurriculum:
    """One live curriculum.

    ``lock`` serialises the requests that change it (curricula never share a lock).
    ``committed_seq`` is the newest seq known durable; ``broken`` is set when a write of
    its events failed, so the next request rebuilds it from the store first.
    """

    def __init__(self, id: str, name: str, created: str, cur: Curriculum, *,
                 committed_seq: int, snapshot_seq: int):
        self.id = id
        self.name = name
        self.created = created
        self.cur = cur
        self.lock = asyncio.Lock()
        self.committed_seq = committed_seq
        self.snapshot_seq = snapshot_seq
        self.broken = False
        self.deleted = False
        self.fits = FitState(self.installed_fit_index)  # changed by the FitScheduler only
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def config(self) -> CurriculumConfig:
        return self.cur.config

    @property
    def installed_fit_index(self) -> int:
        return self.cur.teacher.installed_fit_index

    @property
    def fits_behind(self) -> int:
        """Fits due and not yet installed."""
        return max(0, self.cur.teacher.fits_due - self.installed_fit_index)

    # -- log followers ----------------------------------------------------------------------
    def notify(self) -> None:
        """Wake everyone waiting in :meth:`wait_change`."""
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def wait_change(self, timeout: float) -> bool:
        """Wait until new events are durable (or the curriculum goes); False on timeout."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(fut)
