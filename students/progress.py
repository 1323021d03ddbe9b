"""Progress of a training worker: a bar on a terminal, plain lines elsewhere.

On a terminal (and unless disabled) a rich progress bar; when the output is not a
terminal (Docker logs, files) or the bar is disabled, one plain line every
``line_seconds`` so logs show the worker is alive long before its first evaluation.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["ProgressCallback"]


class ProgressCallback(BaseCallback):
    """Shows steps, steps/s, episodes, the teacher's phase and the latest mastery.

    status: returns the curriculum's description (the server's GET /v1/curricula/{id}
    answer, or an equivalent dict); polled at most every ``poll_seconds``.
    enabled: allow the bar (used only when stdout is a terminal).
    line_seconds: seconds between plain lines when there is no bar (0: none).
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
        line_seconds: float = 30.0,
        stream: Any = None,
    ):
        super().__init__()
        self.total, self.start, self.status = total, start, status
        self.enabled, self.evaluator, self.poll_seconds = enabled, evaluator, poll_seconds
        self.line_seconds = line_seconds
        self.stream = stream if stream is not None else sys.stdout
        self._progress: Any = None
        self._task: Any = None
        self._polled = 0.0
        self._lined = 0.0
        self._desc = ""
        self._t0, self._n0 = time.monotonic(), start

    def _on_training_start(self) -> None:
        self._t0, self._n0 = time.monotonic(), self.start
        self._lined = self._t0
        isatty = getattr(self.stream, "isatty", None)
        if not (self.enabled and isatty is not None and isatty()):
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        # Narrow enough for 80 columns: rich truncates what does not fit.
        self._progress = Progress(
            TextColumn("[bold]train"), BarColumn(bar_width=10), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"), TextColumn("{task.fields[desc]}"),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "train", total=self.total, completed=self.start, rate="-", desc=""
        )

    def _phase(self) -> str:
        try:
            info = self.status()
        except Exception as exc:  # noqa: BLE001 - progress must never kill training
            return f"teacher: {type(exc).__name__}"
        counts = info.get("counts", {})
        fits = counts.get("fits", 0)
        phase = "bootstrap" if not fits else f"{fits} fits"
        mastery = info.get("latest_mastery_pct")
        if mastery is None and self.evaluator is not None and self.evaluator.history:
            mastery = self.evaluator.history[-1][1]
        m = "-" if mastery is None else f"{mastery:.0f}%"
        return f"{counts.get('results', 0)} episodes | {phase} | mastery {m}"

    def _rate(self, now: float) -> float:
        return (self.num_timesteps - self._n0) / max(now - self._t0, 1e-9)

    def _line(self, now: float, prefix: str = "progress") -> None:
        pct = 100.0 * self.num_timesteps / max(self.total, 1)
        print(f"{prefix}: step {self.num_timesteps}/{self.total} ({pct:.0f}%), "
              f"{self._rate(now):.0f} steps/s, {self._desc}", file=self.stream, flush=True)

    def _on_step(self) -> bool:
        now = time.monotonic()
        if self._progress is None:
            if self.line_seconds and now - self._lined >= self.line_seconds:
                self._lined = now
                self._desc = self._phase()
                self._line(now)
            return True
        if now - self._polled >= self.poll_seconds:
            self._polled = now
            self._desc = self._phase()
        self._progress.update(self._task, completed=self.num_timesteps,
                              rate=f"{self._rate(now):.0f}", desc=self._desc)
        return True

    def _on_training_end(self) -> None:
        # End on fresh counts, not those of the last poll.
        self._desc = self._phase()
        if self._progress is not None:
            self._progress.update(self._task, completed=self.num_timesteps, desc=self._desc)
        elif self.line_seconds:
            self._line(time.monotonic(), prefix="training ended")
        self.close()

    def close(self) -> None:
        """Stop the bar (also when training is left by an exception)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
