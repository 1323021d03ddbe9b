"""How a worker stops: at the end of its steps, at its wall-time budget, or on a signal.

The first SIGINT/SIGTERM asks training to end after the current environment step; the
worker then saves a checkpoint and flushes its queued reports, and skips the final
evaluation (a full test set takes longer than a container's grace period). A second
signal stops at once: no checkpoint, but queued reports are still flushed.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["StopNow", "StopOnSignal", "signals_stop"]


class StopNow(KeyboardInterrupt):
    """Raised by the second signal: leave training at once. A KeyboardInterrupt, so no
    ``except Exception`` on the way swallows it."""


class StopOnSignal(BaseCallback):
    """Ends ``learn()`` cleanly once :attr:`reason` is set (by a signal or the budget)."""

    def __init__(self, max_seconds: float | None = None) -> None:
        super().__init__()
        self.reason: str | None = None
        self.max_seconds = max_seconds
        self.deadline: float | None = None

    def _on_training_start(self) -> None:
        # The budget counts training time, not the set-up before it.
        if self.max_seconds is not None:
            self.deadline = time.monotonic() + self.max_seconds

    @property
    def requested(self) -> bool:
        return self.reason is not None

    def _on_step(self) -> bool:
        if self.reason is None and self.deadline is not None and (
            time.monotonic() > self.deadline
        ):
            self.reason = "time budget (--max-seconds) used up"
        return self.reason is None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def signals_stop(
    stop: StopOnSignal, on_first: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """While active, SIGINT/SIGTERM stop ``stop``'s training as the module describes;
    ``on_first`` runs at the first signal (e.g. to skip the final evaluation)."""
    count = 0

    def handler(signum: int, _frame: Any) -> None:
        nonlocal count
        count += 1
        name = signal.Signals(signum).name
        if count == 1:
            stop.reason = f"signal {name}"
            on_first()
            _say(f"\n{name} received: stopping after this step, then saving a checkpoint "
                 "and flushing reports (the final evaluation is skipped). "
                 "Send it again to stop at once.")
            return
        if count == 2:
            _say(f"\n{name} received again: stopping at once (no checkpoint; queued "
                 "reports are still flushed; a third signal abandons them)")
            stop.reason = f"signal {name}, twice"
        else:
            _say(f"\n{name} received a third time: leaving without flushing")
        raise StopNow

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
