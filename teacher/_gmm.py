"""Shared machinery of the GMM teachers (ALP-GMM, Covar-GMM): fit scheduling,
installation of fitted mixtures, and sampling from them."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from teacher import _arrays
from teacher import _params as P
from teacher._fit import AnyFit, FitRequest, FitResult, derive_seed
from teacher.base import FitRecord, Teacher
from teacher.errors import StateMismatchError
from teacher.space import TaskSpace

GMM_CHECKS: dict[str, P.Check] = {
    "fit_rate": P.integer(2),
    "random_task_ratio": P.real(0.0, 1.0),
    "k_range": P.int_pair(1, 50),
    "criterion": P.one_of(["aic", "bic", "aicc"]),
    "n_init": P.integer(1, 100),
    "warm_start": P.boolean,
    "gmm_backend": P.one_of(["numpy", "sklearn"]),
}


class GMMTeacher(Teacher):
    """Fits a Gaussian mixture to a window of recent episodes every ``fit_rate`` updates
    and samples tasks from its components, each chosen with probability proportional to
    its *score* (ALP for ALP-GMM). Until the first fit is installed tasks are uniform
    (``bootstrap``); afterwards a ``random_task_ratio`` share stays uniform (``random``).
    """

    _checks: ClassVar[dict[str, P.Check]] = GMM_CHECKS
    _score_kind: ClassVar[str] = "alp"

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
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.fit_rate = fit_rate
        self.random_task_ratio = random_task_ratio
        self.k_range = k_range
        self.criterion = criterion
        self.n_init = n_init
        self.warm_start = warm_start
        self.gmm_backend = gmm_backend
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        self.fit_: FitResult | None = None
        self._pending: FitRequest | None = None
        self.fits_due_ = 0
        self._init_history()

    @abstractmethod
    def _init_history(self) -> None:
        """Create the (empty) episode history the fitted window is read from."""

    # -- fitting ---------------------------------------------------------------------------
    @abstractmethod
    def _window(self) -> np.ndarray:
        """The rows to fit, shape (fit_rate, D), D = d + extra coordinates."""

    def _schedule_fit(self) -> None:
        """Call at the end of ``_observe``: make a fit request when one is due."""
        n = self.n_updates_ + 1  # counts the update being observed
        if n < self.fit_rate or n % self.fit_rate:
            return
        self.fits_due_ = n // self.fit_rate
        self._pending = self._fit_request(self.fits_due_, n, self._window())

    def _fit_request(self, fit_index: int, episode: int, data: np.ndarray) -> FitRequest:
        """The request for fit ``fit_index``: its seed depends only on (random_state,
        fit_index), never on the sampling stream or on when the fit runs."""
        return FitRequest(
            fit_index=fit_index,
            episode=episode,
            seed=derive_seed(self.entropy_, 1, fit_index),
            data=_readonly(data),
            k_range=(int(self.k_range[0]), int(self.k_range[1])),
            criterion=self.criterion,
            n_init=self.n_init,
            backend=self.gmm_backend,
            score=self._score_kind,
            warm_start=self.warm_start,
            inits=dict(self.fit_.candidates) if self.warm_start and self.fit_ else {},
        )

    @property
    def pending_fit(self) -> FitRequest | None:
        return self._pending

    @property
    def installed_fit(self) -> FitResult | None:
        return self.fit_

    @property
    def fits_due(self) -> int:
        return self.fits_due_

    @property
    def fits_coalesced_(self) -> int:
        """Fits that became due but were superseded by a newer window before anyone
        installed them (due rounds - installed fits - the one still pending)."""
        return self.fits_due_ - self.fits_installed_ - (self._pending is not None)

    def install_fit(self, result: AnyFit) -> None:
        """Install a fitted mixture (just computed, or read from a log)."""
        if not isinstance(result, FitResult):
            raise StateMismatchError(f"fit must be a FitResult, got {type(result).__name__}")
        last = self.fit_.fit_index if self.fit_ is not None else 0
        if result.fit_index <= last:
            raise StateMismatchError(
                f"fit_index must be greater than the installed fit's ({last}), "
                f"got {result.fit_index}"
            )
        dim = self.space.dim + self._extra_dims()
        if result.means.shape[1] != dim:
            raise StateMismatchError(
                f"fit has {result.means.shape[1]} coordinates, this teacher fits {dim}"
            )
        self.fit_ = result
        if self._pending is not None and self._pending.fit_index <= result.fit_index:
            self._pending = None
        self.record_.fits.append(
            FitRecord(
                result.fit_index, self.n_updates_, np.array(result.weights),
                np.array(result.means), np.array(result.covariances), np.array(result.scores),
            )
        )
        self._prepare_sampling(result)

    def _prepare_sampling(self, fit: FitResult) -> None:
        """Per-fit sampling constants: Cholesky factors, and the cumulative component
        probabilities (None when every score is 0: then a uniform pick)."""
        self._chol = np.linalg.cholesky(fit.covariances)
        scores = fit.scores
        total = float(scores.sum())
        self._cdf: np.ndarray | None = None
        if total > 0:
            cdf = (scores / total).cumsum()
            self._cdf = cdf / cdf[-1]

    def _extra_dims(self) -> int:
        return 1

    # -- sampling --------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        if self.fit_ is None:
            return self.space.uniform(self._rng), "bootstrap"
        if self._rng.random() < self.random_task_ratio:
            return self.space.uniform(self._rng), "random"
        # The same draw as ``rng.choice(k, p=scores / total)``, without its checks.
        if self._cdf is not None:
            i = int(self._cdf.searchsorted(self._rng.random(), side="right"))
        else:
            i = int(self._rng.integers(self.fit_.scores.shape[0]))
        z = self._rng.standard_normal(self.fit_.means.shape[1])
        x = self.fit_.means[i] + self._chol[i] @ z
        task = x[: self.space.dim]
        if self.fit_.scale is not None:  # a fit of scaled data (see teacher.run_fit)
            task = task * self.fit_.scale[: self.space.dim]
        return task, f"gaussian:{i}"

    # -- state -----------------------------------------------------------------------------
    def _gmm_state(self) -> dict[str, Any]:
        pending = None
        if self._pending is not None:
            p = self._pending
            pending = {
                "fit_index": p.fit_index, "episode": p.episode, "data": _arrays.encode(p.data)
            }
        return {
            "fit": None if self.fit_ is None else self.fit_.to_json(),
            "pending": pending,
            "fits_due": self.fits_due_,
        }

    def _set_gmm_state(self, s: dict[str, Any]) -> None:
        if s["fit"] is not None:
            fit = FitResult.from_json(s["fit"])
            self.fit_ = fit
            self._prepare_sampling(fit)
        self.fits_due_ = int(s["fits_due"])
        if s["pending"] is not None:
            p = s["pending"]
            self._pending = self._fit_request(
                int(p["fit_index"]), int(p["episode"]), _arrays.decode(p["data"])
            )


def _readonly(a: np.ndarray) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr
