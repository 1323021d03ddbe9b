"""The region tree of RIAC (Baranes & Oudeyer, 2009), shared by RIAC and ALP-GMM+.

The box is split recursively into axis-aligned regions; each leaf keeps a window of its
latest (task, return) pairs and its ALP, the absolute difference between the mean return
of the newer and the older half of that window. Because both halves sample the same
place, a leaf's ALP measures change over time, not differences between neighbouring
tasks, and it averages out return noise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teacher import _finite
from teacher.space import TaskSpace

__all__ = ["RegionTree", "Region", "window_alp"]


def window_alp(returns: np.ndarray) -> float:
    """|mean(newer half) - mean(older half)| of a window of returns (0 under 2 items)."""
    n = len(returns)
    if n < 2:
        return 0.0
    half = n // 2
    return _finite.abs_diff(_finite.mean(returns[half:]), _finite.mean(returns[:half]))


@dataclass
class Region:
    low: np.ndarray
    high: np.ndarray
    tasks: deque = field(default_factory=deque)
    returns: deque = field(default_factory=deque)
    alp: float = 0.0
    split: tuple[int, float, int, int] | None = None  # (dim, threshold, left, right)

    def to_json(self) -> dict[str, Any]:
        return {
            "low": self.low.tolist(), "high": self.high.tolist(),
            "tasks": [t.tolist() for t in self.tasks], "returns": list(self.returns),
            "alp": self.alp, "split": list(self.split) if self.split else None,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Region:
        s = d["split"]
        return cls(
            np.asarray(d["low"], dtype=float), np.asarray(d["high"], dtype=float),
            deque(np.asarray(t, dtype=float) for t in d["tasks"]),
            deque(float(r) for r in d["returns"]), float(d["alp"]),
            (int(s[0]), float(s[1]), int(s[2]), int(s[3])) if s else None,
        )


class RegionTree:
    """Regions of ``space`` with their windows and ALPs.

    max_region_size: pairs a leaf holds before it tries to split; also its window.
    min_region_size: pairs each child needs. n_split_trials: random cuts tried.
    min_dims_range_ratio: each child's width along the cut, as a share of the space's
        range on that dimension.
    split_score: "alp_diff" (|ALP difference|) or "weighted" (n1 * n2 * |ALP difference|).
    max_leaves: None, or the number of leaves after which no leaf splits any more (full
        leaves then drop their oldest pair): the tree then holds at most
        ``max_leaves * max_region_size`` pairs however long the run.

    Split cuts are drawn from the generator passed to :meth:`add`, so the owner decides
    which random stream they share.
    """

    def __init__(
        self,
        space: TaskSpace,
        *,
        max_region_size: int,
        min_region_size: int,
        n_split_trials: int,
        min_dims_range_ratio: float,
        split_score: str,
        max_leaves: int | None = None,
    ):
        self.space = space
        self.max_region_size = max_region_size
        self.min_region_size = min_region_size
        self.n_split_trials = n_split_trials
        self.min_width = min_dims_range_ratio * space.width
        self.split_score = split_score
        self.max_leaves = max_leaves
        self.regions: list[Region] = [Region(space.low.copy(), space.high.copy())]
        self.leaves: list[int] = [0]
        self.alp_sum = 0.0  # of the leaves' ALPs, kept up to date (and in the state)

    @property
    def mean_leaf_alp(self) -> float:
        if math.isfinite(self.alp_sum) and self.alp_sum < _finite.FLOAT_MAX:
            return self.alp_sum / len(self.leaves)
        return _finite.mean(self.leaf_alps())

    def leaf_of(self, task: np.ndarray) -> int:
        i = 0
        while (s := self.regions[i].split) is not None:
            dim, thr, left, right = s
            i = left if task[dim] < thr else right
        return i

    def add(self, task: np.ndarray, reward: float, rng: np.random.Generator) -> float:
        """Store one pair in its leaf (splitting it when full); the ALP of the leaf that
        holds ``task`` afterwards."""
        i = self.leaf_of(task)
        reg = self.regions[i]
        reg.tasks.append(task.copy())
        reg.returns.append(reward)
        if len(reg.returns) > self.max_region_size and not (
            self._may_split() and self._try_split(i, rng)
        ):
            reg.tasks.popleft()
            reg.returns.popleft()
        if reg.split is None:
            alp = window_alp(np.fromiter(reg.returns, dtype=float))
            total = self.alp_sum + (alp - reg.alp)
            reg.alp = alp
            self.alp_sum = self._checked_sum(total)
            return alp
        return self.regions[self.leaf_of(task)].alp

    def _checked_sum(self, total: float) -> float:
        """``total``, the running sum of leaf ALPs just updated, unless ALPs of unbounded
        returns overflowed it: then the sum recomputed from the leaves, saturated at the
        largest float (and recomputed at each update while saturated)."""
        if math.isfinite(total) and self.alp_sum < _finite.FLOAT_MAX:
            return total
        return _finite.up(float(np.sum(self.leaf_alps() * _finite.DOWN)))

    def _may_split(self) -> bool:
        return self.max_leaves is None or len(self.leaves) < self.max_leaves

    def leaf_alps(self) -> np.ndarray:
        return np.array([self.regions[j].alp for j in self.leaves])

    def pick_leaf(self, rng: np.random.Generator) -> int:
        """A leaf drawn proportionally to its ALP (uniformly while every ALP is 0)."""
        alps = self.leaf_alps()
        p = _finite.proportions(alps)
        if p is not None:
            return self.leaves[int(rng.choice(len(alps), p=p))]
        return self.leaves[int(rng.integers(len(alps)))]

    def uniform_in(self, i: int, rng: np.random.Generator) -> np.ndarray:
        """A task drawn uniformly inside region ``i``."""
        reg = self.regions[i]
        return reg.low + rng.random(self.space.dim) * (reg.high - reg.low)

    def _try_split(self, i: int, rng: np.random.Generator) -> bool:
        reg = self.regions[i]
        tasks = np.array(reg.tasks)
        rets = np.fromiter(reg.returns, dtype=float)
        best: tuple[float, int, float, np.ndarray] | None = None
        min_width = self.min_width
        for _ in range(self.n_split_trials):
            dim = int(rng.integers(self.space.dim))
            thr = float(rng.uniform(reg.low[dim], reg.high[dim]))
            if thr - reg.low[dim] < min_width[dim] or reg.high[dim] - thr < min_width[dim]:
                continue
            left = tasks[:, dim] < thr
            n1 = int(left.sum())
            n2 = len(rets) - n1
            if n1 < self.min_region_size or n2 < self.min_region_size:
                continue
            d_alp = abs(window_alp(rets[left]) - window_alp(rets[~left]))
            score = d_alp * n1 * n2 if self.split_score == "weighted" else d_alp
            if best is None or score > best[0]:
                best = (score, dim, thr, left)
        if best is None:
            return False
        _, dim, thr, left = best
        children = []
        for side in (left, ~left):
            low, high = reg.low.copy(), reg.high.copy()
            if side is left:
                high[dim] = thr
            else:
                low[dim] = thr
            child = Region(low, high, deque(tasks[side]), deque(rets[side].tolist()))
            child.alp = window_alp(rets[side])
            children.append(child)
        li, ri = len(self.regions), len(self.regions) + 1
        total = self.alp_sum + (children[0].alp + children[1].alp - reg.alp)
        self.regions += children
        reg.split = (dim, thr, li, ri)
        reg.tasks, reg.returns = deque(), deque()
        self.leaves = [j for j in self.leaves if j != i] + [li, ri]
        self.alp_sum = self._checked_sum(total)
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "regions": [r.to_json() for r in self.regions],
            "leaves": list(self.leaves),
            "alp_sum": self.alp_sum,
        }

    def load_json(self, state: dict[str, Any]) -> None:
        self.regions = [Region.from_json(r) for r in state["regions"]]
        self.leaves = [int(j) for j in state["leaves"]]
        alps = (self.regions[j].alp for j in self.leaves)
        self.alp_sum = float(state["alp_sum"]) if "alp_sum" in state else float(sum(alps))
