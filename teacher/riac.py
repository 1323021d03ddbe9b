"""RIAC (Baranes & Oudeyer, 2009): robust intelligent adaptive curiosity.

The box is split recursively into axis-aligned regions; each leaf keeps a window of its
latest (task, return) pairs and its ALP, the absolute difference between the mean return
of the newer and the older half of that window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from teacher import _params as P
from teacher.base import Teacher
from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["RIAC"]


def window_alp(returns: np.ndarray) -> float:
    """|mean(newer half) - mean(older half)| of a window of returns (0 under 2 items)."""
    n = len(returns)
    if n < 2:
        return 0.0
    half = n // 2
    return float(abs(returns[half:].mean() - returns[:half].mean()))


@dataclass
class _Region:
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
    def from_json(cls, d: dict[str, Any]) -> _Region:
        s = d["split"]
        return cls(
            np.asarray(d["low"], dtype=float), np.asarray(d["high"], dtype=float),
            deque(np.asarray(t, dtype=float) for t in d["tasks"]),
            deque(float(r) for r in d["returns"]), float(d["alp"]),
            (int(s[0]), float(s[1]), int(s[2]), int(s[3])) if s else None,
        )


class RIAC(Teacher):
    """RIAC with the paper's settings.

    max_region_size: pairs a region holds before it tries to split (200); also its window.
    min_region_size: pairs each child needs (10). n_split_trials: random cuts tried (50).
    min_dims_range_ratio: each child's width along the cut, as a share of the space's
        range on that dimension (1/15).
    random_task_ratio (0.2) uniform tasks; mutation_ratio (0.1) mutations of a region's
    lowest-return task with Gaussian noise of ``mutation_sd`` (0.1) times each range; the
    rest uniform inside a region chosen proportionally to its ALP.
    split_score: "alp_diff" (|ALP difference|, as the reference code) or "weighted"
        (n1 * n2 * |ALP difference|, as the paper intends).
    """

    name: ClassVar[str] = "riac"
    _checks: ClassVar[dict[str, P.Check]] = {
        "max_region_size": P.integer(4),
        "min_region_size": P.integer(1),
        "n_split_trials": P.integer(1),
        "min_dims_range_ratio": P.real(0.0, 0.5),
        "random_task_ratio": P.real(0.0, 1.0),
        "mutation_ratio": P.real(0.0, 1.0),
        "mutation_sd": P.real(0.0),
        "split_score": P.one_of(["alp_diff", "weighted"]),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        max_region_size: int = 200,
        min_region_size: int = 10,
        n_split_trials: int = 50,
        min_dims_range_ratio: float = 1 / 15,
        random_task_ratio: float = 0.2,
        mutation_ratio: float = 0.1,
        mutation_sd: float = 0.1,
        split_score: str = "alp_diff",
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.max_region_size = max_region_size
        self.min_region_size = min_region_size
        self.n_split_trials = n_split_trials
        self.min_dims_range_ratio = min_dims_range_ratio
        self.random_task_ratio = random_task_ratio
        self.mutation_ratio = mutation_ratio
        self.mutation_sd = mutation_sd
        self.split_score = split_score
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        self.regions_: list[_Region] = [_Region(space.low.copy(), space.high.copy())]
        self._leaves: list[int] = [0]

    def _check_consistency(self) -> None:
        if self.random_task_ratio + self.mutation_ratio > 1:
            raise InvalidParameterError(
                "random_task_ratio + mutation_ratio must be <= 1, got "
                f"{self.random_task_ratio} + {self.mutation_ratio}"
            )
        if 2 * self.min_region_size > self.max_region_size + 1:
            raise InvalidParameterError(
                f"min_region_size must be at most half of max_region_size + 1, got "
                f"{self.min_region_size} with max_region_size {self.max_region_size}"
            )

    # -- regions ---------------------------------------------------------------------------
    def _leaf_of(self, task: np.ndarray) -> int:
        i = 0
        while (s := self.regions_[i].split) is not None:
            dim, thr, left, right = s
            i = left if task[dim] < thr else right
        return i

    def _observe(self, task: np.ndarray, reward: float, raw_return: float) -> float:
        i = self._leaf_of(task)
        reg = self.regions_[i]
        reg.tasks.append(task.copy())
        reg.returns.append(reward)
        if len(reg.returns) > self.max_region_size and not self._try_split(i):
            reg.tasks.popleft()
            reg.returns.popleft()
        if reg.split is None:
            reg.alp = window_alp(np.fromiter(reg.returns, dtype=float))
            return reg.alp
        return self.regions_[self._leaf_of(task)].alp

    def _try_split(self, i: int) -> bool:
        reg = self.regions_[i]
        tasks = np.array(reg.tasks)
        rets = np.fromiter(reg.returns, dtype=float)
        min_width = self.min_dims_range_ratio * self.space.width
        best: tuple[float, int, float, np.ndarray] | None = None
        for _ in range(self.n_split_trials):
            dim = int(self._rng.integers(self.space.dim))
            thr = float(self._rng.uniform(reg.low[dim], reg.high[dim]))
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
            child = _Region(low, high, deque(tasks[side]), deque(rets[side].tolist()))
            child.alp = window_alp(rets[side])
            children.append(child)
        li, ri = len(self.regions_), len(self.regions_) + 1
        self.regions_ += children
        reg.split = (dim, thr, li, ri)
        reg.tasks, reg.returns = deque(), deque()
        self._leaves = [j for j in self._leaves if j != i] + [li, ri]
        return True

    # -- sampling --------------------------------------------------------------------------
    def _pick_region(self) -> int:
        alps = np.array([self.regions_[j].alp for j in self._leaves])
        total = float(alps.sum())
        if total > 0:
            return self._leaves[int(self._rng.choice(len(alps), p=alps / total))]
        return self._leaves[int(self._rng.integers(len(alps)))]

    def _sample(self) -> tuple[np.ndarray, str]:
        u = self._rng.random()
        if u < self.random_task_ratio:
            return self.space.uniform(self._rng), "random"
        i = self._pick_region()
        reg = self.regions_[i]
        if u < self.random_task_ratio + self.mutation_ratio and reg.returns:
            worst = reg.tasks[int(np.argmin(np.fromiter(reg.returns, dtype=float)))]
            noise = self._rng.normal(0.0, self.mutation_sd, self.space.dim) * self.space.width
            return np.clip(worst + noise, reg.low, reg.high), f"mutation:{i}"
        return reg.low + self._rng.random(self.space.dim) * (reg.high - reg.low), f"region:{i}"

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {"regions": [r.to_json() for r in self.regions_], "leaves": list(self._leaves)}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.regions_ = [_Region.from_json(r) for r in state["regions"]]
        self._leaves = [int(j) for j in state["leaves"]]
