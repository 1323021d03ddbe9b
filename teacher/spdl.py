"""Self-Paced Deep RL (Klink et al., NeurIPS 2020) as TeachMyAgent implements it: a
Gaussian context distribution that follows the student's performance and is drawn
towards a target distribution, one KL-bounded step at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from teacher import _arrays, _finite, _initial
from teacher import _params as P
from teacher._fit import AnyFit, ArrayFit, derive_seed
from teacher._spdl_math import Gaussian, alpha_for, kernel_values, kl, optimise
from teacher.base import Teacher
from teacher.errors import InvalidParameterError, StateMismatchError
from teacher.space import TaskSpace

__all__ = ["SPDL", "SPDLFitJob"]


def _readonly(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class SPDLFitJob:
    """One SPDL update, as a pure function of this snapshot (task units throughout).

    contexts (n, d): the tasks observed since the previous update (the newest
    ``max_context_buffer_size``), values (n,) their normalised returns (smoothed over
    the contexts by :func:`kernel_values` when ``value_bandwidth`` is set); performance: the
    mean normalised return of every episode since the previous update; old_mean (d,),
    old_cov (d, d): the distribution installed when the update fell due; low, width (d,):
    the box, to work in unit coordinates.
    """

    fit_index: int
    episode: int
    seed: int
    low: np.ndarray
    width: np.ndarray
    contexts: np.ndarray
    values: np.ndarray
    performance: float
    old_mean: np.ndarray
    old_cov: np.ndarray
    target_mean: np.ndarray
    target_cov: np.ndarray
    max_kl: float
    alpha_offset: int
    zeta: float
    std_lower_bound: float | None
    kl_threshold: float | None
    value_bandwidth: float | None

    def _unit(self, mean: np.ndarray, cov: np.ndarray) -> Gaussian:
        return Gaussian.from_cov((mean - self.low) / self.width, cov / np.outer(self.width,
                                                                                 self.width))

    def run(self) -> ArrayFit:
        old = self._unit(self.old_mean, self.old_cov)
        target = self._unit(self.target_mean, self.target_cov)
        contexts = (self.contexts - self.low) / self.width
        kl_before = kl(old, target)
        alpha = alpha_for(self.fit_index, self.performance, kl_before,
                          alpha_offset=self.alpha_offset, zeta=self.zeta)
        # The optimum does not change when values and alpha are divided by one positive
        # number: bring the values within [-2, 2] so that unbounded returns stay finite
        # (by a power of two: exact). The kernel then averages bounded numbers.
        top = float(np.max(np.abs(self.values))) if self.values.size else 0.0
        scale = math.ldexp(1.0, min(1023, math.frexp(top)[1])) if top > 0 else 1.0
        values = self.values / scale
        if self.value_bandwidth is not None and values.size:
            values = kernel_values(contexts, values, self.value_bandwidth)
        step = optimise(old, target, contexts, values, alpha / scale, self.max_kl)
        new = step.dist
        status = step.status
        kl_after = kl(new, target)
        if (self.std_lower_bound is not None and self.kl_threshold is not None
                and kl_after > self.kl_threshold):
            # TeachMyAgent floors the Cholesky diagonal (the std when the covariance is
            # diagonal) while the distribution is still far from the target.
            chol = new.chol.copy()
            diag = np.diag_indices(new.dim)
            if (chol[diag] < self.std_lower_bound).any():
                chol[diag] = np.maximum(chol[diag], self.std_lower_bound)
                new = Gaussian(new.mean, chol)
                kl_after = kl(new, target)
        mean, cov = self.old_mean, self.old_cov  # exactly, when the update keeps them
        if new is not old:
            mean = self.low + self.width * new.mean
            cov = new.cov * np.outer(self.width, self.width)
            cov = 0.5 * (cov + cov.T)
            try:
                np.linalg.cholesky(cov)
                ok = bool(np.isfinite(mean).all() and np.isfinite(cov).all())
            except np.linalg.LinAlgError:
                ok = False
            if not ok:
                mean, cov = self.old_mean, self.old_cov
                status, kl_after = "kept: not positive definite", kl_before
        return ArrayFit(
            kind="spdl", fit_index=self.fit_index, seed=self.seed,
            arrays={"mean": mean, "cov": cov},
            values={"status": status, "alpha": alpha,
                    "kl_step": 0.0 if mean is self.old_mean else kl(old, self._unit(mean, cov)),
                    "kl_target_before": kl_before, "kl_target": kl_after,
                    "performance": float(self.performance), "contexts": int(self.values.size),
                    "iterations": step.iterations},
        )


class SPDL(Teacher):
    """Self-Paced Deep RL: tasks are drawn from a Gaussian (mean, full covariance),
    clipped into the box (origin ``gaussian``). Every ``update_frequency`` episodes, once
    ``update_offset`` episodes have been seen, the Gaussian moves to maximise the
    importance-weighted mean normalised return of the tasks seen since the previous
    update minus ``alpha`` * KL(Gaussian || target), with KL(old || new) <= ``max_kl``.
    alpha is 0 for the first ``alpha_offset - 1`` updates, then ``zeta`` * (mean
    normalised return since the previous update) / KL(current || target).

    Klink et al. and TeachMyAgent value each task with the student's critic, a learned
    function of the context. A black-box student has none, so the teacher stands in with
    a regression of the reported returns on the tasks: each buffered task is valued by the
    Gaussian-kernel mean (Nadaraya-Watson) of the buffered returns around it, with sd
    ``value_bandwidth`` of each range (default 0.1, the 10% this project and TeachMyAgent
    use for a starting spread); ``value_bandwidth=None`` values each task by its own return
    (Klink et al.'s ``use_true_rew``; params_version 1). alpha uses the mean return
    (TeachMyAgent's published ``use_avg_performance``). The update is the teacher's
    fit step (:class:`SPDLFitJob`, solved with SciPy's SLSQP under the KL constraint where
    TeachMyAgent takes one natural-gradient step with a line search); until it is
    installed, tasks come from the previous Gaussian.

    Defaults (TeachMyAgent ``run_utils/teacher_args_handler.py`` and the settings of its
    published benchmark, ``benchmark_scripts/full_benchmark_Self-Paced.txt``): max_kl 0.1,
    alpha_offset 10, zeta 0.25, no std lower bound, a buffer of 1,000 tasks. TeachMyAgent
    counts environment steps (update every 50,000, first after 200,000); here episodes:
    every 100, first after 400 (the same ratio). initial_mean / initial_std: default the
    low corner and 10% of each range; target_mean / target_std: default the centre and a
    quarter of each range (TeachMyAgent's Gaussian stand-in for the uniform target). All
    in the space's units; std_lower_bound as a fraction of each range.
    """

    name: ClassVar[str] = "spdl"
    params_version: ClassVar[int] = 2
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {
        # 2: tasks valued by a kernel regression of the returns (each its own return before)
        1: {"value_bandwidth": None},
    }
    _checks: ClassVar[dict[str, P.Check]] = {
        "update_frequency": P.integer(1),
        "update_offset": P.integer(1),
        "max_kl": P.real(0.0, open_low=True),
        "alpha_offset": P.integer(0),
        "zeta": P.real(0.0),
        "std_lower_bound": P.optional(P.real(0.0, open_low=True)),
        "kl_threshold": P.optional(P.real(0.0)),
        "max_context_buffer_size": P.integer(1),
        "value_bandwidth": P.optional(P.real(0.0, open_low=True)),
        **_initial.CHECKS,
        "target_mean": P.optional(P.vector),
        "target_std": P.optional(P.positive_vector),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        update_frequency: int = 100,
        update_offset: int = 400,
        max_kl: float = 0.1,
        alpha_offset: int = 10,
        zeta: float = 0.25,
        std_lower_bound: float | None = None,
        kl_threshold: float | None = None,
        max_context_buffer_size: int = 1000,
        value_bandwidth: float | None = 0.1,
        initial_mean: tuple[float, ...] | None = None,
        initial_std: tuple[float, ...] | None = None,
        target_mean: tuple[float, ...] | None = None,
        target_std: tuple[float, ...] | None = None,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.update_frequency = update_frequency
        self.update_offset = update_offset
        self.max_kl = max_kl
        self.alpha_offset = alpha_offset
        self.zeta = zeta
        self.std_lower_bound = std_lower_bound
        self.kl_threshold = kl_threshold
        self.max_context_buffer_size = max_context_buffer_size
        self.value_bandwidth = value_bandwidth
        self.initial_mean = initial_mean
        self.initial_std = initial_std
        self.target_mean = target_mean
        self.target_std = target_std
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        w = space.width
        self._target_mean = _readonly(space.low + w / 2 if target_mean is None else target_mean)
        tstd = w / 4 if target_std is None else np.asarray(target_std, dtype=np.float64)
        self._target_cov = _readonly(np.diag(tstd**2))
        mean, istd = _initial.gaussian(space, initial_mean, initial_std)
        self._set_distribution(mean, np.diag(istd**2))
        self.fit_index_ = 0
        self.fits_due_ = 0
        self.fit_values_: dict[str, Any] = {}
        self._pending: SPDLFitJob | None = None
        self._tasks: list[np.ndarray] = []
        self._rewards: list[float] = []

    def _check_consistency(self) -> None:
        _initial.check_lengths(self.space, {
            name: getattr(self, name)
            for name in ("initial_mean", "initial_std", "target_mean", "target_std")})
        if (self.std_lower_bound is None) != (self.kl_threshold is None):
            raise InvalidParameterError(
                "std_lower_bound and kl_threshold must be given together, got "
                f"std_lower_bound={self.std_lower_bound!r}, kl_threshold={self.kl_threshold!r}")

    def _set_distribution(self, mean: np.ndarray, cov: np.ndarray) -> None:
        """Raises numpy.linalg.LinAlgError, changing nothing, if ``cov`` is not positive
        definite."""
        chol = np.linalg.cholesky(cov)
        self.mean_, self.cov_, self._chol = _readonly(mean), _readonly(cov), chol

    # -- sampling and updates --------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        z = self._rng.standard_normal(self.space.dim)
        return self.mean_ + self._chol @ z, "gaussian"

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        self._tasks.append(task)
        self._rewards.append(reward)
        n = self.n_updates_ + 1  # counts the episode being observed
        if n >= self.update_offset and n % self.update_frequency == 0:
            self.fits_due_ += 1
            self._pending = self._job(self.fits_due_, n, self._tasks, self._rewards,
                                      self.mean_, self.cov_)
            self._tasks, self._rewards = [], []
        return None

    def _job(self, fit_index: int, episode: int, tasks: list[np.ndarray], rewards: list[float],
             old_mean: np.ndarray, old_cov: np.ndarray,
             performance: float | None = None) -> SPDLFitJob:
        keep = self.max_context_buffer_size
        values = np.asarray(rewards, dtype=np.float64)
        if performance is None:
            performance = _finite.mean(values)
        return SPDLFitJob(
            fit_index=fit_index, episode=episode, seed=derive_seed(self.entropy_, 1, fit_index),
            low=_readonly(self.space.low), width=_readonly(self.space.width),
            contexts=_readonly(np.reshape(tasks[-keep:], (-1, self.space.dim))),
            values=_readonly(values[-keep:]), performance=float(performance),
            old_mean=_readonly(old_mean), old_cov=_readonly(old_cov),
            target_mean=self._target_mean, target_cov=self._target_cov,
            max_kl=float(self.max_kl), alpha_offset=int(self.alpha_offset),
            zeta=float(self.zeta),
            std_lower_bound=None if self.std_lower_bound is None else float(self.std_lower_bound),
            kl_threshold=None if self.kl_threshold is None else float(self.kl_threshold),
            value_bandwidth=(None if self.value_bandwidth is None
                             else float(self.value_bandwidth)),
        )

    # -- fits ------------------------------------------------------------------------------
    @property
    def pending_fit(self) -> SPDLFitJob | None:
        return self._pending

    @property
    def installed_fit_index(self) -> int:
        return self.fit_index_

    @property
    def fits_due(self) -> int:
        return self.fits_due_

    def install_fit(self, result: AnyFit) -> None:
        """Install an SPDL update (just computed, or read back from a log)."""
        result = self._next_array_fit(result)
        d = self.space.dim
        mean, cov = result.arrays.get("mean"), result.arrays.get("cov")
        if mean is None or cov is None or mean.shape != (d,) or cov.shape != (d, d):
            raise StateMismatchError(
                f"spdl fit must carry 'mean' ({d},) and 'cov' ({d}, {d}), got "
                f"{ {k: list(a.shape) for k, a in result.arrays.items()} }")
        if not np.array_equal(cov, cov.T):
            raise StateMismatchError("spdl fit 'cov' must be symmetric")
        try:
            self._set_distribution(mean, cov)
        except np.linalg.LinAlgError:
            raise StateMismatchError("spdl fit 'cov' must be positive definite") from None
        self.fit_index_ = int(result.fit_index)
        self.fit_values_ = dict(result.values)
        if self._pending is not None and self._pending.fit_index <= result.fit_index:
            self._pending = None

    def describe_state(self) -> dict[str, Any]:
        """The counts and the Gaussian in use (mean, covariance, in the space's units),
        the target, and what the last update reported."""
        return {**super().describe_state(), "kind": "gaussian", "mean": self.mean_.tolist(),
                "cov": self.cov_.tolist(), "target_mean": self._target_mean.tolist(),
                "target_cov": self._target_cov.tolist(), "fit_index": self.fit_index_,
                "fit": dict(self.fit_values_)}

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        p = self._pending
        pending = None if p is None else {
            "fit_index": p.fit_index, "episode": p.episode,
            "contexts": _arrays.encode(p.contexts), "values": _arrays.encode(p.values),
            "performance": p.performance, "old_mean": _arrays.encode(p.old_mean),
            "old_cov": _arrays.encode(p.old_cov)}
        return {
            "mean": _arrays.encode(self.mean_), "cov": _arrays.encode(self.cov_),
            "fit_index": self.fit_index_, "fits_due": self.fits_due_,
            "fit_values": dict(self.fit_values_),
            "tasks": _arrays.encode(np.reshape(self._tasks, (-1, self.space.dim))),
            "rewards": _arrays.encode(np.asarray(self._rewards, dtype=np.float64)),
            "pending": pending,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        try:
            self._set_distribution(_arrays.decode(state["mean"]), _arrays.decode(state["cov"]))
        except np.linalg.LinAlgError:
            raise ValueError("cov is not positive definite") from None
        self.fit_index_ = int(state["fit_index"])
        self.fits_due_ = int(state["fits_due"])
        self.fit_values_ = dict(state["fit_values"])
        self._tasks = list(_arrays.decode(state["tasks"]))
        self._rewards = _arrays.decode(state["rewards"]).tolist()
        p = state["pending"]
        if p is not None:
            self._pending = self._job(
                int(p["fit_index"]), int(p["episode"]), list(_arrays.decode(p["contexts"])),
                _arrays.decode(p["values"]).tolist(), _arrays.decode(p["old_mean"]),
                _arrays.decode(p["old_cov"]), performance=float(p["performance"]))
