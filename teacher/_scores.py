"""Which recent results may still take a late score, and the scores they took.

A worker that computes a per-episode score from its training rollout (PLR's positive value
loss) knows it only when the rollout ends, after the episode's result was reported; it
sends the score then. The curriculum accepts a late score for the newest ``limit``
results only, so its memory stays bounded; replaying a log rebuilds the same window.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ScoreMemory"]


class ScoreMemory:
    """The params of the newest ``limit`` reported tasks and the score each has (if any),
    oldest first."""

    def __init__(self, limit: int):
        self.limit = limit
        self._params: dict[str, dict[str, float]] = {}
        self._scores: dict[str, float] = {}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ScoreMemory) and self._params == other._params
                and self._scores == other._scores)

    def add_result(self, task_id: str, params: dict[str, float], score: float | None) -> None:
        self._params[task_id] = params
        if score is not None:
            self._scores[task_id] = score
        while len(self._params) > self.limit:
            oldest = next(iter(self._params))
            del self._params[oldest]
            self._scores.pop(oldest, None)

    def params(self, task_id: str) -> dict[str, float] | None:
        """The params of a result still in the window, else None."""
        return self._params.get(task_id)

    def score(self, task_id: str) -> float | None:
        return self._scores.get(task_id)

    def set_score(self, task_id: str, score: float) -> None:
        self._scores[task_id] = score

    def to_json(self) -> list[Any]:
        """``[[task_id, params, score or None], ...]``, oldest first."""
        return [[tid, dict(p), self._scores.get(tid)] for tid, p in self._params.items()]

    def load_json(self, data: list[Any]) -> None:
        for tid, params, score in data:
            self.add_result(str(tid), {str(n): float(v) for n, v in params.items()},
                            None if score is None else float(score))
