"""Absolute learning progress of (task, return) pairs: the part ALP-GMM and ALP-GMM+ share.

The ALP of a new episode is ``|r - r'|``, ``r'`` the normalised return of the nearest
stored task; 0 while :data:`MIN_PAIRS` or fewer pairs are stored. Which stored tasks are
searched (the whole capped history, or the newest ones) is each teacher's choice; the
rows both keep, and the window they fit a mixture to, live in :class:`ALPHistory`.
"""

from __future__ import annotations

import numpy as np

from teacher import _arrays
from teacher._finite import abs_diff

__all__ = ["MIN_PAIRS", "ALPHistory", "pair_alp"]

#: No ALP (0) while this many pairs or fewer are stored.
MIN_PAIRS = 5


def pair_alp(reward: float, neighbour_return: float) -> float:
    """``|reward - neighbour_return|`` (saturating instead of overflowing)."""
    return abs_diff(reward, float(neighbour_return))


class ALPHistory:
    """One row per episode: the task (d values), its normalised return and its ALP."""

    def __init__(self, dim: int):
        self.dim = dim
        self.tasks = _arrays.Growable(dim)
        self.returns = _arrays.Growable()
        self.alps = _arrays.Growable()

    def __len__(self) -> int:
        return len(self.alps)

    def append(self, task: np.ndarray, reward: float, alp: float) -> None:
        self.tasks.append(task)
        self.returns.append(reward)
        self.alps.append(alp)

    def extend(self, tasks: np.ndarray, returns: np.ndarray, alps: np.ndarray) -> None:
        self.tasks.extend(tasks)
        self.returns.extend(returns)
        self.alps.extend(alps)

    def window(self, n: int) -> np.ndarray:
        """The newest ``n`` rows as [task..., ALP], shape (n, d + 1): what is fitted."""
        return np.column_stack([self.tasks.values[-n:], self.alps.values[-n:]])

    def tail(self, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the newest ``keep`` tasks, returns and ALPs."""
        return (self.tasks.values[-keep:].copy(), self.returns.values[-keep:].copy(),
                self.alps.values[-keep:].copy())
