"""A console progress bar for a training worker (rich)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["ProgressCallback"]


class ProgressCallback(BaseCallback):
    """Shows steps/s, episodes reported, the teacher's phase and the latest mastery.

    status: returns the curriculum's description (the server's GET /v1/curricula/{id}
    answer, or an equivalent dict); polled at most every ``poll_seconds``.
    """

    def __init__(
        self,
        total: int,
        start: int,
        status: Callable[[], dict[str, Any]],
        *,
        enabled: bool = True,
        evaluator: Any = None,
        poll_seconds: float = 2.0,
    ):
        super().__init__()
        self.total, self.start, self.status = total, start, status
        self.enabled, self.evaluator, self.poll_seconds = enabled, evaluator, poll_seconds
        self._progress: Any = None
        self._task: Any = None
        self._polled = 0.0
        self._desc = ""

    def _on_training_start(self) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} steps/s"), TimeRemainingColumn(),
            TextColumn("{task.fields[desc]}"),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "train", total=self.total, completed=self.start, rate="-", desc=""
        )
        self._t0, self._n0 = time.monotonic(), self.start

    def _phase(self) -> str:
        try:
            info = self.status()
        except Exception as exc:  # noqa: BLE001 - the bar must never kill training
            return f"teacher: {type(exc).__name__}"
        counts = info.get("counts", {})
        fits = counts.get("fits", 0)
        phase = "bootstrap" if not fits else f"{fits} GMM fits"
        mastery = info.get("latest_mastery_pct")
        if mastery is None and self.evaluator is not None and self.evaluator.history:
            mastery = self.evaluator.history[-1][1]
        m = "-" if mastery is None else f"{mastery:.0f}%"
        return f"episodes {counts.get('results', 0)} | teacher: {phase} | mastery {m}"

    def _on_step(self) -> bool:
        if self._progress is None:
            return True
        now = time.monotonic()
        if now - self._polled >= self.poll_seconds:
            self._polled = now
            self._desc = self._phase()
        rate = (self.num_timesteps - self._n0) / max(now - self._t0, 1e-9)
        self._progress.update(self._task, completed=self.num_timesteps, rate=f"{rate:.0f}",
                              desc=self._desc)
        return True

    def _on_training_end(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
