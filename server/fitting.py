"""GMM fits off the request path: a pool of worker processes running ``teacher.run_fit``.

A fit round is up to ~100 ms of CPU and would hold the GIL; in another process the
server keeps answering with the installed mixture meanwhile. This module imports only
``teacher`` so worker processes start light.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from teacher import FitRequest, FitResult, run_fit

__all__ = ["FitRunner", "timed_fit"]


def timed_fit(request: FitRequest) -> tuple[FitResult, float]:
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
        first start imports numpy and scipy and would stall the loop for ~0.5 s."""
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

    def submit(self, request: FitRequest) -> asyncio.Future[tuple[FitResult, float]]:
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
