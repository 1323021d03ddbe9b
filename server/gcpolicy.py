"""Short garbage-collection pauses for a long-running server.

A full (generation 2) collection scans every tracked object: the imported libraries
(hundreds of thousands of objects) and the teachers' growing histories. Measured under
load, such passes paused the event loop for a long time several times per 5 s (numbers in
benchmarks/RESULTS.md). After a full
collection every surviving object is reachable, so moving the survivors out of the
collector's reach (``gc.freeze()``) loses nothing, and the next full pass scans only what
was allocated since. Reference counting still frees frozen objects; only reference cycles
among objects frozen while alive are never collected (the server's long-lived state has
none it drops).

The first generation's threshold is raised too: with 64 requests in flight their
short-lived objects kept crossing the default of 700 (hundreds of young collections a second);
at 10,000 reference counting frees them before any collection is due.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

__all__ = ["install"]


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


YOUNG_THRESHOLD = 10_000


def install() -> Callable[[], None]:
    """Collect and freeze now, then freeze after every full collection; raise the first
    generation's threshold. Returns a function that undoes it."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_after_collection)
    gc.set_threshold(YOUNG_THRESHOLD, thresholds[1], thresholds[2])

    def uninstall() -> None:
        if _after_collection in gc.callbacks:
            gc.callbacks.remove(_after_collection)
        gc.set_threshold(*thresholds)
        gc.unfreeze()

    return uninstall
