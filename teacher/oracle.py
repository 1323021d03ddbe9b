"""The hand-made Oracle teacher: a sliding window that moves on once it is mastered."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _finite
from teacher import _params as P
from teacher.base import Teacher
from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["Oracle"]


class Oracle(Teacher):
    """Samples uniformly in a window of ``window_ratio`` of each range. Every ``period``
    updates, if the mean *raw* return of those episodes exceeds ``threshold``, the window's
    lower corner moves by ``step``; the window always stays inside the box.

    start: the easy corner the window starts at (default: the lower corner), in the
        space's units; a window that would leave the box is shifted inside it.
    step: the move vector (default: +1/30 of each range).
    Stump Tracks in the paper: start (0, 6), step (0.1, -0.2); Hexagon Tracks: start 0,
    step 0.1 on every dimension; threshold 230.
    """

    name: ClassVar[str] = "oracle"
    _checks: ClassVar[dict[str, P.Check]] = {
        "start": P.optional(P.vector),
        "step": P.optional(P.vector),
        "window_ratio": P.real(0.0, 1.0, open_low=True),
        "period": P.integer(1),
        "threshold": P.real(),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        start: tuple[float, ...] | None = None,
        step: tuple[float, ...] | None = None,
        window_ratio: float = 1 / 6,
        period: int = 50,
        threshold: float = 230.0,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.start = start
        self.step = step
        self.window_ratio = window_ratio
        self.period = period
        self.threshold = threshold
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        self._size = space.width * window_ratio
        origin = space.low if start is None else np.asarray(start, dtype=np.float64)
        self.window_low_ = self._inside(origin)
        self._step = space.width / 30 if step is None else np.asarray(step, dtype=np.float64)
        self._returns: list[float] = []

    def _check_consistency(self) -> None:
        for name in ("start", "step"):
            v = getattr(self, name)
            if v is not None and len(v) != self.space.dim:
                raise InvalidParameterError(
                    f"{name} must have {self.space.dim} values ({self.space.describe()}), "
                    f"got {len(v)}"
                )

    def _inside(self, low: np.ndarray) -> np.ndarray:
        return np.clip(low, self.space.low, self.space.high - self._size)

    def _sample(self) -> tuple[np.ndarray, str]:
        return self.window_low_ + self._rng.random(self.space.dim) * self._size, "oracle"

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        self._returns.append(raw_return)
        if len(self._returns) >= self.period:
            if _finite.mean(np.asarray(self._returns, dtype=float)) > self.threshold:
                self.window_low_ = self._inside(self.window_low_ + self._step)
            self._returns = []
        return None

    def describe_state(self) -> dict[str, Any]:
        """The counts and the current window (its low and high corners)."""
        return {**super().describe_state(), "kind": "window", "low": self.window_low_.tolist(),
                "high": (self.window_low_ + self._size).tolist()}

    def _get_state(self) -> dict[str, Any]:
        return {"window_low": self.window_low_.tolist(), "returns": list(self._returns)}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.window_low_ = np.asarray(state["window_low"], dtype=np.float64)
        self._returns = [float(r) for r in state["returns"]]
