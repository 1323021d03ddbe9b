"""ALP-GMM: absolute learning progress + Gaussian mixtures (Portelas et al., 2019)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _arrays
from teacher import _params as P
from teacher._alp import MIN_PAIRS, ALPHistory, pair_alp
from teacher._gmm import GMM_CHECKS, GMMTeacher
from teacher._neighbours import TIES, NearestNeighbours
from teacher.space import TaskSpace

__all__ = ["ALPGMM"]


class ALPGMM(GMMTeacher):
    """The ALP-GMM teacher with the paper's defaults.

    For each finished episode (task t, normalised return r) the ALP is
    ``|r - r(t')|`` where t' is the nearest previously stored task (exact Euclidean
    nearest neighbour; of equally near ones, by default the latest stored; 0 while 5 or
    fewer pairs are stored). Every
    ``fit_rate`` updates mixtures of k in ``k_range`` Gaussians are fitted to the last
    ``fit_rate`` rows of [task..., ALP], the best by ``criterion`` is kept, and tasks are
    drawn from a component chosen proportionally to the ALP coordinate of its mean.

    Parameters
    ----------
    fit_rate: updates between fits, and the size of the fitted window (250).
    random_task_ratio: share of uniform tasks after bootstrap (0.2).
    k_range: (min, max) number of Gaussians tried ((2, 10)).
    criterion: "aic" (default), "bic" or "aicc".
    n_init: EM starts per k (1). warm_start: start EM from the previous fit's candidates.
    gmm_backend: "numpy" (batched EM, default) or "sklearn" (GaussianMixture).
    alp_history: None or the number of newest (task, return) pairs kept for ALP.
    alp_ties: which of equally near stored tasks is the neighbour: ``"latest"`` (default)
        or ``"earliest"``. It matters for repeats of one task, common at the box corners
        after clipping: with "earliest" every repeat is compared with the task's *first*
        return, a progress that never fades (docs/teachers_bench.md).
    random_state, reward_bounds: see :class:`teacher.base.Teacher`.
    """

    name: ClassVar[str] = "alp-gmm"
    _checks: ClassVar[dict[str, P.Check]] = {
        **GMM_CHECKS,
        "alp_history": P.optional(P.integer(1)),
        "alp_ties": P.one_of(list(TIES)),
    }
    params_version: ClassVar[int] = 2
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {
        1: {"alp_ties": "earliest"},  # 2 added the tie rule; before, the earliest won
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        fit_rate: int = 250,
        random_task_ratio: float = 0.2,
        k_range: tuple[int, int] = (2, 10),
        criterion: str = "aic",
        n_init: int = 1,
        warm_start: bool = False,
        gmm_backend: str = "numpy",
        alp_history: int | None = None,
        alp_ties: str = "latest",
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.alp_history = alp_history
        self.alp_ties = alp_ties
        super().__init__(
            space, fit_rate=fit_rate, random_task_ratio=random_task_ratio, k_range=k_range,
            criterion=criterion, n_init=n_init, warm_start=warm_start, gmm_backend=gmm_backend,
            random_state=random_state, reward_bounds=reward_bounds,
        )

    def _init_history(self) -> None:
        self._nn = NearestNeighbours(
            self.space.dim, capacity=self.alp_history, ties=self.alp_ties
        )
        self._history = ALPHistory(self.space.dim)

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> float:
        alp = 0.0
        if len(self._nn) > MIN_PAIRS:
            j = self._nn.query(task)
            assert j is not None
            alp = pair_alp(reward, self._history.returns.values[j])
        self._nn.add(task)
        self._history.append(task, reward, alp)
        self._schedule_fit()
        return alp

    def _window(self) -> np.ndarray:
        return self._history.window(self.fit_rate)

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        start = self._nn.start
        h = self._history
        keep = max(0, min(start, len(h) - self.fit_rate))  # window rows too
        return {
            **self._gmm_state(),
            "offset": keep,
            "tasks": _arrays.encode(h.tasks.values[keep:]),
            "returns": _arrays.encode(h.returns.values[keep:]),
            "alps": _arrays.encode(h.alps.values[keep:]),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        offset = int(state["offset"])
        tasks = _arrays.decode(state["tasks"])
        returns = _arrays.decode(state["returns"])
        alps = _arrays.decode(state["alps"])
        if not (len(tasks) == len(returns) == len(alps)) or offset + len(tasks) != self.n_updates_:
            raise ValueError("history lengths do not match the number of updates")
        # Rebuild history with indices shifted so the active window keeps its positions.
        self._init_history()
        self._history.extend(np.zeros((offset, self.space.dim)), np.zeros(offset),
                             np.zeros(offset))
        self._nn.n = offset
        self._nn.extend(tasks)
        self._history.extend(tasks, returns, alps)
        self._set_gmm_state(state)
