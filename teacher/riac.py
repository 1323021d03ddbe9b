"""RIAC (Baranes & Oudeyer, 2009): robust intelligent adaptive curiosity.

The box is split recursively into axis-aligned regions; each leaf keeps a window of its
latest (task, return) pairs and its ALP, the absolute difference between the mean return
of the newer and the older half of that window.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _params as P
from teacher._regions import Region, RegionTree
from teacher.base import Teacher
from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["RIAC"]


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
        self._tree = RegionTree(
            space, max_region_size=max_region_size, min_region_size=min_region_size,
            n_split_trials=n_split_trials, min_dims_range_ratio=min_dims_range_ratio,
            split_score=split_score,
        )

    @property
    def regions_(self) -> list[Region]:
        """Every region ever made, leaves and split ones (``split`` is None on leaves)."""
        return self._tree.regions

    def describe_state(self) -> dict[str, Any]:
        """The counts, and each leaf region: its box, ALP and stored pairs."""
        leaves = [r for r in self.regions_ if r.split is None]
        return {**super().describe_state(), "kind": "regions", "regions": [
            {"low": r.low.tolist(), "high": r.high.tolist(), "alp": float(r.alp),
             "pairs": len(r.returns)} for r in leaves]}

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

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> float:
        return self._tree.add(task, reward, self._rng)

    # -- sampling --------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        u = self._rng.random()
        if u < self.random_task_ratio:
            return self.space.uniform(self._rng), "random"
        i = self._tree.pick_leaf(self._rng)
        reg = self.regions_[i]
        if u < self.random_task_ratio + self.mutation_ratio and reg.returns:
            worst = reg.tasks[int(np.argmin(np.fromiter(reg.returns, dtype=float)))]
            noise = self._rng.normal(0.0, self.mutation_sd, self.space.dim) * self.space.width
            return np.clip(worst + noise, reg.low, reg.high), f"mutation:{i}"
        return self._tree.uniform_in(i, self._rng), f"region:{i}"

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return self._tree.to_json()

    def _set_state(self, state: dict[str, Any]) -> None:
        self._tree.load_json(state)
