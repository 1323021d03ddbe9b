"""Teacher fits off the request path: a pool of worker processes running ``teacher.run_fit``.

A fit round is tens of milliseconds of CPU (benchmarks/RESULTS.md) and would hold the
GIL; in another process the server keeps answering with the installed mixture
meanwhile. This module imports only ``teacher`` so worker processes start light.

:class:`FitScheduler` owns the lifecycle of every live curriculum's fits (due ->
computing -> ready -> installed, or coalesced); :class:`FitState` is where one
curriculum's stands, which the rest of the server only reads.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from teacher import Curriculum, Event, run_fit
from teacher._fit import AnyFit, FitJob, FitRequest

__all__ = ["FitRunner", "FitScheduler", "FitState", "timed_fit"]

log = logging.getLogger(__name__)


def timed_fit(request: FitRequest | FitJob) -> tuple[AnyFit, float]:
    """Run one fit; returns the result and its CPU wall time in seconds."""
    started = time.perf_counter()
    result = run_fit(request)
    return result, time.perf_counter() - started


def _noop() -> None:
    pass


def _watch_server(pid: int, every: float = 1.0) -> None:
    """End this worker when the server process is gone. A pool worker never notices on
    its own: it holds both ends of its task pipe, so a SIGKILLed server would leave it
    (and the forkserver it keeps alive) running forever."""
    while True:
        time.sleep(every)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # pragma: no cover - the pid now belongs to someone else
            os._exit(0)


def _init_worker(server_pid: int) -> None:
    threading.Thread(target=_watch_server, args=(server_pid,), daemon=True,
                     name="server-watchdog").start()
    # One BLAS thread per fit: the mixtures are small and the cores are shared.
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


class FitRunner:
    """Runs fits in ``workers`` processes (started on first use, restarted if one dies)."""

    def __init__(self, workers: int = 1):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the worker processes now (blocking; call it off the event loop): the
        first start imports numpy and scipy and would stall the loop."""
        self._executor().submit(_noop).result()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: workers fork from a clean process that has imported the
                # teacher once, not from the server with its threads and sockets.
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["server.fitting"])
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_init_worker,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def submit(self, request: FitRequest | FitJob) -> asyncio.Future[tuple[AnyFit, float]]:
        """Start a fit; the returned future completes on the running event loop."""
        loop = asyncio.get_running_loop()
        try:
            return loop.run_in_executor(self._executor(), timed_fit, request)
        except BrokenProcessPool:
            self.shutdown()
            return loop.run_in_executor(self._executor(), timed_fit, request)

    def reset_if_broken(self, exc: BaseException) -> None:
        """Drop a pool whose worker died so the next submit starts a fresh one."""
        if isinstance(exc, BrokenProcessPool):
            self.shutdown()

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


class FitState:
    """Where the fits of one live curriculum stand. Changed only by :class:`FitScheduler`.

    ``future``: the fit being computed (at most one); ``ready``: the newest computed fit
    not yet installed; ``submitted`` / ``failed``: the newest fit index started / that
    failed; ``coalesced``: due fits never installed because a newer one superseded them;
    ``generation``: bumped when the curriculum is rebuilt, so older fits are dropped.
    """

    def __init__(self, installed_index: int):
        self.future: asyncio.Future[tuple[AnyFit, float]] | None = None
        self.ready: AnyFit | None = None
        self.submitted = installed_index
        self.failed = 0
        self.coalesced = 0
        self.generation = 0

    @property
    def in_flight(self) -> bool:
        return self.future is not None


class FitHost(Protocol):
    """What the scheduler needs of a live curriculum (server.live.LiveCurriculum)."""

    id: str
    cur: Curriculum
    deleted: bool
    fits: FitState


class FitScheduler:
    """The one owner of the fit lifecycle: :meth:`schedule` starts the teacher's due fit
    in the worker processes unless one is being computed (due windows never started
    are skipped and counted as coalesced); a computed fit becomes ``ready`` and the next
    request installs it through :meth:`take_ready`; :meth:`reset` forgets everything in
    flight after a rebuild; :meth:`cancel` when the curriculum goes.

    observe: called with the seconds of every computed fit. stopping: no new fit starts
    while it returns True.
    """

    def __init__(self, runner: FitRunner, *, observe: Callable[[float], None] | None = None,
                 stopping: Callable[[], bool] = lambda: False):
        self.runner = runner
        self.observe = observe
        self.stopping = stopping
        self.failures = 0

    def schedule(self, live: FitHost) -> None:
        state = live.fits
        request = live.cur.teacher.pending_fit
        if (request is None or state.future is not None or self.stopping()
                or request.fit_index <= max(state.submitted, state.failed)):
            return
        state.coalesced += max(0, request.fit_index - state.submitted - 1)
        state.submitted = request.fit_index
        fut = self.runner.submit(request)
        state.future = fut
        generation = state.generation
        fut.add_done_callback(lambda f: self._done(live, generation, request.fit_index, f))

    def take_ready(self, live: FitHost) -> list[Event]:
        """Install the ready fit, if newer than the installed one: its ``fit`` event."""
        state = live.fits
        fit, state.ready = state.ready, None
        if fit is None or fit.fit_index <= live.cur.teacher.installed_fit_index:
            return []
        return [live.cur.install_fit(fit)]

    def reset(self, live: FitHost) -> None:
        """``live.cur`` was rebuilt: drop what was computed for the old one, start anew."""
        state = live.fits
        state.generation += 1
        state.ready = None
        state.future = None
        state.submitted = live.cur.teacher.installed_fit_index
        self.schedule(live)

    def cancel(self, live: FitHost) -> None:
        if live.fits.future is not None:
            live.fits.future.cancel()

    def _done(self, live: FitHost, generation: int, fit_index: int,
              fut: asyncio.Future[tuple[AnyFit, float]]) -> None:
        state = live.fits
        if state.future is fut:
            state.future = None
        if fut.cancelled() or live.deleted or generation != state.generation:
            return
        exc = fut.exception()
        if exc is not None:
            self.failures += 1
            state.failed = fit_index
            self.runner.reset_if_broken(exc)
            log.error("curriculum %s: fit %d failed: %r", live.id, fit_index, exc)
            return
        result, seconds = fut.result()
        if self.observe is not None:
            self.observe(seconds)
        if state.ready is not None and state.ready.fit_index < result.fit_index:
            state.coalesced += 1  # a computed fit replaced before any request installed it
        if state.ready is None or state.ready.fit_index < result.fit_index:
            state.ready = result
        self.schedule(live)
