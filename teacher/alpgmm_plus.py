"""ALP-GMM+: ALP-GMM whose learning progress is measured against the recent past.

The paper's ALP compares a new return with the return of the nearest task in the *whole*
history. Once a region has been practised for a while, that neighbour is usually an old
visit, so the ALP measures the total progress made there since long ago and stays high
long after the region is mastered: on the toy student ALP-GMM spends ~60% of its
episodes on cells that are already at full competence (``docs/teachers_bench.md``).
ALP-GMM+ looks for the neighbour among the newest ``alp_history`` pairs only, which makes
the ALP a measure of *current* progress, and keeps half the share of uniform tasks.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np

from teacher import _arrays
from teacher import _params as P
from teacher.alpgmm import _MIN_PAIRS_FOR_ALP, ALPGMM
from teacher.space import TaskSpace

__all__ = ["ALPGMMPlus"]


class ALPGMMPlus(ALPGMM):
    """ALP-GMM with ALP taken against a recent neighbour (one configuration for all).

    For each finished episode (task t, normalised return r) the ALP is ``|r - r(t')|``
    where t' is the nearest task (Euclidean, earliest on ties) among the newest
    ``alp_history`` stored pairs — the same rule as ALP-GMM with its ``alp_history`` cap,
    so ``ALPGMMPlus(space, alp_history=h, random_task_ratio=p)`` samples exactly the tasks
    of ``ALPGMM(space, alp_history=h, random_task_ratio=p)``. It differs from ALP-GMM by
    its defaults (a window of 50 pairs instead of the whole history, 10% uniform tasks
    instead of 20%) and by keeping only the rows it can still use: memory, state size and
    update cost are O(max(alp_history, fit_rate)), whatever the length of the run.

    Fitting and sampling are ALP-GMM's: every ``fit_rate`` updates, mixtures of k in
    ``k_range`` Gaussians are fitted to the last ``fit_rate`` rows of [task..., ALP], the
    best by ``criterion`` is kept, and tasks are drawn from a component chosen
    proportionally to the ALP coordinate of its mean.

    Parameters
    ----------
    alp_history: the number of newest pairs searched for the ALP neighbour (50), >= 6.
        Smaller windows track progress faster; in high-dimensional spaces, where 50
        recent tasks are far apart, a larger one may suit better.
    random_task_ratio: share of uniform tasks after bootstrap (0.1).
    fit_rate, k_range, criterion, n_init, warm_start, gmm_backend, random_state,
    reward_bounds: as :class:`teacher.alpgmm.ALPGMM`.
    """

    name: ClassVar[str] = "alp-gmm+"
    _checks: ClassVar[dict[str, P.Check]] = {
        **ALPGMM._checks,
        "alp_history": P.integer(_MIN_PAIRS_FOR_ALP + 1),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        fit_rate: int = 250,
        random_task_ratio: float = 0.1,
        k_range: tuple[int, int] = (2, 10),
        criterion: str = "aic",
        n_init: int = 1,
        warm_start: bool = False,
        gmm_backend: str = "numpy",
        alp_history: int = 50,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        super().__init__(
            space, fit_rate=fit_rate, random_task_ratio=random_task_ratio, k_range=k_range,
            criterion=criterion, n_init=n_init, warm_start=warm_start, gmm_backend=gmm_backend,
            alp_history=alp_history, random_state=random_state, reward_bounds=reward_bounds,
        )

    @property
    def _window_size(self) -> int:
        return cast(int, self.alp_history)  # validated: an integer >= 6, never None

    @property
    def _keep(self) -> int:
        """Rows still needed: the ALP window and the fit window."""
        return max(self._window_size, self.fit_rate)

    def _init_history(self) -> None:
        self._tasks = _arrays.Growable(self.space.dim)
        self._returns = _arrays.Growable()
        self._alps = _arrays.Growable()

    def _observe(self, task: np.ndarray, reward: float, raw_return: float) -> float:
        h = self._window_size
        alp = 0.0
        if min(len(self._returns), h) > _MIN_PAIRS_FOR_ALP:
            past = self._tasks.values[-h:]
            j = int(np.argmin(((past - task) ** 2).sum(axis=1)))  # first minimum: earliest
            alp = abs(reward - float(self._returns.values[-h:][j]))
        self._tasks.append(task)
        self._returns.append(reward)
        self._alps.append(alp)
        if len(self._alps) >= 4 * self._keep:
            self._restore_rows(*self._tail())
        self._schedule_fit()
        return alp

    def _tail(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = self._keep
        return (
            self._tasks.values[-keep:].copy(),
            self._returns.values[-keep:].copy(),
            self._alps.values[-keep:].copy(),
        )

    def _restore_rows(self, tasks: np.ndarray, returns: np.ndarray, alps: np.ndarray) -> None:
        self._init_history()
        self._tasks.extend(tasks)
        self._returns.extend(returns)
        self._alps.extend(alps)

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        tasks, returns, alps = self._tail()
        return {
            **self._gmm_state(),
            "tasks": _arrays.encode(tasks),
            "returns": _arrays.encode(returns),
            "alps": _arrays.encode(alps),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        tasks = _arrays.decode(state["tasks"]).reshape(-1, self.space.dim)
        returns = _arrays.decode(state["returns"])
        alps = _arrays.decode(state["alps"])
        n = min(self.n_updates_, self._keep)
        if not len(tasks) == len(returns) == len(alps) == n:
            raise ValueError(
                f"history must hold {n} rows (the newest {self._keep} of "
                f"{self.n_updates_} updates), got {len(tasks)}, {len(returns)}, {len(alps)}"
            )
        self._restore_rows(tasks, returns, alps)
        self._set_gmm_state(state)
