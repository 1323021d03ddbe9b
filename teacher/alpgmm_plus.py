"""ALP-GMM+: ALP-GMM whose learning progress is measured against the recent past.

The paper's ALP compares a new return with the return of the nearest task in the *whole*
history. Once a region has been practised for a while, that neighbour is usually an old
visit, so the ALP measures the total progress made there since long ago and stays high
long after the region is mastered: on the toy student ALP-GMM spends ~60% of its
episodes on cells that are already at full competence (``docs/teachers_bench.md``).
ALP-GMM+ looks for the neighbour among the newest ``alp_history`` pairs only, which makes
the ALP a measure of *current* progress, and keeps half the share of uniform tasks.

A per-pair ALP has two blind spots: with noisy returns every pair scores the noise floor,
and a cell that can never be learnt next to a mastered one scores |1 - 0| forever. The
regions of RIAC see neither (a region's ALP compares the newer and the older half of its
own returns), so ALP-GMM+ keeps a RIAC region tree beside its mixture and uses it twice:

- as a veto: a task drawn from a Gaussian is kept with probability min(1, ALP of its
  region / (``region_veto`` x the mean region ALP)), else drawn again, at most
  ``veto_tries`` times;
- as a second source of tasks when the mixture cannot tell its components apart: with
  probability ``region_ratio`` x (lowest / highest component ALP), the task is drawn
  uniformly inside a region chosen proportionally to its ALP, as RIAC does. Under noise,
  before anything is learnt, every component scores about the noise floor, the ratio
  stays well above 0 and the regions help find the first learnable cells; once the
  mixture has found progress somewhere, or has a component on mastered or impossible
  ground (ALP near 0), the ratio is near 0 and the mixture leads.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np

from teacher import _arrays
from teacher import _params as P
from teacher._alp import MIN_PAIRS, ALPHistory, pair_alp
from teacher._fit import FitResult
from teacher._gmm import GMM_CHECKS, GMMTeacher
from teacher._neighbours import TIES, brute_force_nearest
from teacher._regions import RegionTree
from teacher.space import TaskSpace

__all__ = ["ALPGMMPlus"]

#: Leaves of the veto's region tree at most: it then holds at most 256 x 200 pairs.
_MAX_LEAVES = 256


class ALPGMMPlus(GMMTeacher):
    """ALP-GMM with ALP taken against a recent neighbour, a region veto on its Gaussian
    tasks and region tasks while its components look alike (one configuration for all).

    For each finished episode (task t, normalised return r) the ALP is ``|r - r(t')|``
    where t' is the nearest task (Euclidean, ``alp_ties`` deciding between equally near
    ones) among the newest ``alp_history`` stored pairs — the same rule as ALP-GMM with
    its ``alp_history`` cap, so ``ALPGMMPlus(space, alp_history=h, random_task_ratio=p,
    region_veto=0, region_ratio=0)`` samples exactly the tasks of ``ALPGMM(space,
    alp_history=h, random_task_ratio=p)``. Besides the regions it differs from ALP-GMM by
    its defaults (a window of 50 pairs instead of the whole history, 10% uniform tasks
    instead of 20%) and by keeping only the rows it can still use: memory, state size and
    update cost of that part are O(max(alp_history, fit_rate)), whatever the length of
    the run.

    Fitting is ALP-GMM's: every ``fit_rate`` updates, mixtures of k in ``k_range``
    Gaussians are fitted to the last ``fit_rate`` rows of [task..., ALP] and the best by
    ``criterion`` is kept. Every pair also goes to a RIAC region tree (RIAC's defaults:
    leaves of up to 200 pairs, split by the best of 50 random cuts, children at least 1/15
    of the range wide). Once a mixture is installed, a task is drawn from a region with
    probability ``region_ratio`` x min_i s_i / max_i s_i, s_i the ALP coordinate of
    component i's mean (``region_ratio`` when every s_i is 0): a leaf chosen
    proportionally to its ALP, the task uniform inside it (origin ``region:<leaf>``).
    Otherwise sampling is ALP-GMM's (uniform with probability ``random_task_ratio``, else
    a component chosen proportionally to s_i) plus the region veto: a task drawn from a
    Gaussian is kept with probability min(1, a / (``region_veto`` x mean leaf ALP)), a
    the ALP of its leaf; a rejected task is drawn again (uniform tasks included), and the
    ``veto_tries``-th draw is kept whatever its region. The tree stops splitting at 256
    leaves, so it holds at most 256 x 200 pairs however long the run (RIAC's own tree
    is not capped).

    Parameters
    ----------
    alp_history: the number of newest pairs searched for the ALP neighbour (50), >= 6.
        Smaller windows track progress faster; in high-dimensional spaces, where 50
        recent tasks are far apart, a larger one may suit better.
    random_task_ratio: share of uniform tasks after bootstrap (0.1).
    region_veto: how strict the region veto is (0.5); 0 turns it off.
    region_ratio: the share of tasks drawn from the regions when every component has the
        same ALP (0.5); 0 turns region tasks off. With ``region_veto=0`` and
        ``region_ratio=0`` the teacher samples exactly as ALP-GMM with the same
        ``alp_history``.
    veto_tries: draws per task at most when the veto rejects (10), >= 1.
    fit_rate, k_range, criterion, n_init, warm_start, gmm_backend, alp_ties,
    random_state, reward_bounds: as :class:`teacher.alpgmm.ALPGMM`.

    It shares ALP-GMM's parts, not its code path: the mixture fitting and sampling
    (:class:`teacher._gmm.GMMTeacher`), the ALP rule and history (:mod:`teacher._alp`)
    and RIAC's region tree (:mod:`teacher._regions`).
    """

    name: ClassVar[str] = "alp-gmm+"
    _checks: ClassVar[dict[str, P.Check]] = {
        **GMM_CHECKS,
        "alp_history": P.integer(MIN_PAIRS + 1),
        "alp_ties": P.one_of(list(TIES)),
        "region_veto": P.real(0.0),
        "region_ratio": P.real(0.0, 1.0),
        "veto_tries": P.integer(1, 100),
    }
    params_version: ClassVar[int] = 4
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {
        1: {"region_veto": 0.0, "veto_tries": 10},  # 2: the region veto (off before)
        2: {"alp_ties": "earliest"},  # 3: the tie rule (the earliest won before)
        3: {"region_ratio": 0.0},  # 4: tasks from the regions (none before)
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
        alp_ties: str = "latest",
        region_veto: float = 0.5,
        veto_tries: int = 10,
        region_ratio: float = 0.5,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.region_veto = region_veto
        self.veto_tries = veto_tries
        self.region_ratio = region_ratio
        self._region_share = 0.0  # the chance that a task comes from a region; per fit
        self.alp_history = alp_history
        self.alp_ties = alp_ties
        super().__init__(
            space, fit_rate=fit_rate, random_task_ratio=random_task_ratio, k_range=k_range,
            criterion=criterion, n_init=n_init, warm_start=warm_start, gmm_backend=gmm_backend,
            random_state=random_state, reward_bounds=reward_bounds,
        )
        self._tree: RegionTree | None = None
        if self.region_veto > 0 or self.region_ratio > 0:
            self._tree = RegionTree(
                space, max_region_size=200, min_region_size=10, n_split_trials=50,
                min_dims_range_ratio=1 / 15, split_score="alp_diff", max_leaves=_MAX_LEAVES,
            )

    @property
    def _window_size(self) -> int:
        return cast(int, self.alp_history)  # validated: an integer >= 6, never None

    @property
    def _keep(self) -> int:
        """Rows still needed: the ALP window and the fit window."""
        return max(self._window_size, self.fit_rate)

    def _init_history(self) -> None:
        self._history = ALPHistory(self.space.dim)

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> float:
        h = self._window_size
        rows = self._history
        alp = 0.0
        if min(len(rows), h) > MIN_PAIRS:
            j = brute_force_nearest(rows.tasks.values[-h:], task, self.alp_ties)
            alp = pair_alp(reward, rows.returns.values[-h:][j])
        rows.append(task, reward, alp)
        if self._tree is not None:
            self._tree.add(task, reward, self._rng)
        if len(rows) >= 4 * self._keep:
            self._restore_rows(*rows.tail(self._keep))
        self._schedule_fit()
        return alp

    def _window(self) -> np.ndarray:
        return self._history.window(self.fit_rate)

    def _prepare_sampling(self, fit: FitResult) -> None:
        super()._prepare_sampling(fit)
        top = float(fit.scores.max())
        self._region_share = self.region_ratio * (
            float(fit.scores.min()) / top if top > 0 else 1.0
        )

    def _sample(self) -> tuple[np.ndarray, str]:
        tree = self._tree
        share = self._region_share
        if tree is not None and share > 0 and self._rng.random() < share:
            leaf = tree.pick_leaf(self._rng)
            return tree.uniform_in(leaf, self._rng), f"region:{leaf}"
        task, origin = super()._sample()
        if tree is None or self.region_veto == 0 or not origin.startswith("gaussian"):
            return task, origin
        level = self.region_veto * tree.mean_leaf_alp
        if level <= 0:
            return task, origin
        for _ in range(self.veto_tries - 1):
            if self._rng.random() * level < tree.regions[tree.leaf_of(task)].alp:
                break
            task, origin = super()._sample()
            if not origin.startswith("gaussian"):
                break
        return task, origin

    def _restore_rows(self, tasks: np.ndarray, returns: np.ndarray, alps: np.ndarray) -> None:
        self._init_history()
        self._history.extend(tasks, returns, alps)

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        tasks, returns, alps = self._history.tail(self._keep)
        return {
            **self._gmm_state(),
            "tasks": _arrays.encode(tasks),
            "returns": _arrays.encode(returns),
            "alps": _arrays.encode(alps),
            "regions": None if self._tree is None else self._tree.to_json(),
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
        if self._tree is not None:
            self._tree.load_json(state["regions"])
