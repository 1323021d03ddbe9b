"""Prioritized Level Replay's replay distribution and its level buffer (teacher/plr.py).

The maths (Jiang et al. 2021, "Prioritized Level Replay", section 3): a level of score
rank ``r`` (1 = highest score) has score weight ``r ** (-1 / beta)``; a level last replayed
``c`` replays ago has staleness weight ``c``; both are normalised over the levels in the
buffer and mixed ``(1 - staleness_coef) * P_S + staleness_coef * P_C``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teacher import _arrays

__all__ = ["score_ranks", "replay_probabilities", "LevelBuffer"]


def score_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks of ``scores`` (n,), highest first, every rank used once as in the
    reference implementations (dcd and level-replay rank by ``argsort``); among equal
    scores the higher slot ranks first, the order of a reversed stable ascending sort."""
    order = np.argsort(scores, kind="stable")[::-1]
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1.0, len(scores) + 1.0)
    return ranks


def replay_probabilities(scores: np.ndarray, staleness: np.ndarray, beta: float,
                         staleness_coef: float) -> np.ndarray:
    """The probability of replaying each level (n,) of ``scores`` (n,) and ``staleness``
    (n,) (replays since each was last issued, >= 0): rank prioritisation at
    temperature ``beta`` mixed with staleness. Sums to 1 (n >= 1)."""
    n = len(scores)
    with np.errstate(under="ignore"):  # a low rank at a low temperature weighs 0
        h = score_ranks(scores) ** (-1.0 / beta)
    p = h / h.sum()  # rank 1 weighs 1, so the sum is >= 1
    if staleness_coef > 0:
        total = float(staleness.sum())
        c = staleness / total if total > 0 else np.full(n, 1.0 / n)
        p = (1.0 - staleness_coef) * p + staleness_coef * c
    return p


def _key(task: np.ndarray) -> bytes:
    """A level's identity: its exact task vector (-0.0 folded into 0.0)."""
    return (np.asarray(task, dtype=np.float64) + 0.0).tobytes()


class LevelBuffer:
    """Up to ``capacity`` levels: task (d,), seed, score, the normalised return of the
    latest visit, and the replay clock when each was last issued. Slots fill in order; a
    replaced level keeps its slot."""

    def __init__(self, capacity: int, dim: int):
        self.capacity = capacity
        self.tasks = np.zeros((capacity, dim))
        self.seeds = np.zeros(capacity, dtype=np.int64)
        self.scores = np.zeros(capacity)
        self.returns = np.zeros(capacity)
        self.issued = np.zeros(capacity, dtype=np.int64)
        self.size = 0
        self._slots: dict[bytes, int] = {}

    def slot(self, task: np.ndarray) -> int | None:
        """The slot holding the level of exactly ``task``, or None."""
        return self._slots.get(_key(task))

    def put(self, slot: int, task: np.ndarray, seed: int, score: float, ret: float,
            issued: int) -> None:
        """Store a level in ``slot`` (``size`` to append, or a filled slot to replace)."""
        if slot == self.size:
            self.size += 1
        else:
            del self._slots[_key(self.tasks[slot])]
        self.tasks[slot] = task
        self.seeds[slot] = seed
        self.scores[slot] = score
        self.returns[slot] = ret
        self.issued[slot] = issued
        self._slots[_key(task)] = slot

    def staleness(self, now: int) -> np.ndarray:
        """Replays since each level was last issued, at replay clock ``now``."""
        out: np.ndarray = (now - 1 - self.issued[: self.size]).astype(np.float64)
        return out

    def to_json(self) -> dict[str, Any]:
        n = self.size
        return {
            "tasks": _arrays.encode(self.tasks[:n]),
            "seeds": self.seeds[:n].tolist(),
            "scores": _arrays.encode(self.scores[:n]),
            "returns": _arrays.encode(self.returns[:n]),
            "issued": self.issued[:n].tolist(),
        }

    def load_json(self, d: dict[str, Any]) -> None:
        tasks = _arrays.decode(d["tasks"])
        n = len(tasks)
        cols = [np.asarray(d["seeds"], dtype=np.int64), _arrays.decode(d["scores"]),
                _arrays.decode(d["returns"]), np.asarray(d["issued"], dtype=np.int64)]
        if n > self.capacity or tasks.shape[1:] != self.tasks.shape[1:] or any(
                c.shape != (n,) for c in cols):
            raise ValueError(f"level buffer of {n} levels does not fit capacity "
                             f"{self.capacity} and dimension {self.tasks.shape[1]}")
        self.size = 0
        self._slots = {}
        for i in range(n):
            self.put(i, tasks[i], int(cols[0][i]), float(cols[1][i]), float(cols[2][i]),
                     int(cols[3][i]))
