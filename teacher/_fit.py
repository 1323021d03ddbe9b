"""The separable fit step of the teachers: snapshot in, fitted parameters out.

A fit job is an immutable snapshot of the data a teacher wants fitted, with the seed of
that fit; :func:`run_fit` is a pure function of it (safe to run in another thread or
process); the teacher installs the result, whether just computed or read back from an
event log. Two shapes exist:

- the Gaussian-mixture teachers' :class:`FitRequest` -> :class:`FitResult`;
- any other teacher's :class:`FitJob` (its own frozen, picklable dataclass with a pure
  ``run()``) -> :class:`ArrayFit`: named float64 arrays and a few scalars, logged exactly.
  SPDL's optimised distribution or a network's weights are ArrayFits; whatever a teacher
  samples from is computed from the logged arrays with numpy alone, so a replay gives the
  same tasks on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol, Union, runtime_checkable

import numpy as np

from teacher import _arrays
from teacher._em import MixtureFit, criterion_value, fit_mixtures, fit_mixtures_sklearn
from teacher._finite import column_scale
from teacher.errors import FitError, StateMismatchError

__all__ = [
    "FitRequest", "FitResult", "FitJob", "ArrayFit", "AnyFit", "run_fit", "fit_from_json",
    "derive_seed",
]


def derive_seed(entropy: int, *key: int) -> int:
    """A 63-bit seed derived from (entropy, key...); independent of any sampling stream."""
    ss = np.random.SeedSequence(entropy=entropy, spawn_key=tuple(key))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _readonly(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class FitRequest:
    """What a GMM teacher wants fitted.

    data: array (n, D), read-only. ``score`` names how a component's interest is read off
    the fitted mixture: ``"alp"`` (the last coordinate of its mean) or
    ``"time_return_cov"`` (covariance of the last two coordinates, floored at 0).
    ``inits`` maps k to warm-start parameters (weights, means, covariances).
    """

    fit_index: int
    episode: int
    seed: int
    data: np.ndarray
    k_range: tuple[int, int]
    criterion: str = "aic"
    n_init: int = 1
    backend: str = "numpy"
    score: str = "alp"
    max_iter: int = 100
    tol: float = 1e-3
    warm_start: bool = False
    inits: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def run(self) -> FitResult:
        return run_mixture_fit(self)


@dataclass(frozen=True)
class FitResult:
    """A fitted mixture ready to install. Shapes: weights (k,), means (k, D),
    covariances (k, D, D), scores (k,) — the interest of each component (ALP).

    ``scale`` (D,) is None unless the data could only be fitted scaled (see
    :func:`run_fit`): then means and covariances are in units of ``scale`` (a point
    ``x`` of the mixture is ``x * scale`` in the data's units)."""

    fit_index: int
    seed: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    scores: np.ndarray
    criterion: str
    criterion_value: float
    candidates: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    scale: np.ndarray | None = None

    @property
    def k(self) -> int:
        return int(self.weights.shape[0])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "fit_index": self.fit_index,
            "seed": self.seed,
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "scores": self.scores.tolist(),
            "criterion": self.criterion,
            "criterion_value": self.criterion_value,
        }
        if self.scale is not None:
            out["scale"] = self.scale.tolist()
        if self.candidates:
            out["candidates"] = {
                str(k): [w.tolist(), m.tolist(), c.tolist()]
                for k, (w, m, c) in self.candidates.items()
            }
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FitResult:
        try:
            weights = _readonly(data["weights"])
            means = _readonly(data["means"])
            covs = _readonly(data["covariances"])
            scores = _readonly(data["scores"])
            k = weights.shape[0]
            if weights.ndim != 1 or means.ndim != 2 or means.shape[0] != k:
                raise ValueError("weights must be (k,) and means (k, D)")
            if covs.shape != (k, means.shape[1], means.shape[1]) or scores.shape != (k,):
                raise ValueError("covariances must be (k, D, D) and scores (k,)")
            candidates = {
                int(kk): (_readonly(v[0]), _readonly(v[1]), _readonly(v[2]))
                for kk, v in (data.get("candidates") or {}).items()
            }
            scale = None if data.get("scale") is None else _readonly(data["scale"])
            if scale is not None and scale.shape != (means.shape[1],):
                raise ValueError("scale must be (D,)")
            if not all(np.isfinite(a).all() for a in (weights, means, covs, scores)):
                raise ValueError("weights, means, covariances and scores must be finite")
            return cls(
                fit_index=int(data["fit_index"]),
                seed=int(data["seed"]),
                weights=weights,
                means=means,
                covariances=covs,
                scores=scores,
                criterion=str(data["criterion"]),
                criterion_value=float(data["criterion_value"]),
                candidates=candidates,
                scale=scale,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StateMismatchError(f"malformed fit result: {exc}") from None


@runtime_checkable
class FitJob(Protocol):
    """A non-mixture fit: a frozen, picklable snapshot whose ``run()`` is a pure function
    of it (seeded by ``seed``, single-threaded, deterministic on one machine), returning
    the :class:`ArrayFit` the teacher installs. ``episode`` is the teacher's update count
    when the fit became due. The three numbers are read-only properties of the protocol,
    so that a frozen dataclass satisfies it."""

    @property
    def fit_index(self) -> int: ...

    @property
    def episode(self) -> int: ...

    @property
    def seed(self) -> int: ...

    def run(self) -> ArrayFit: ...


#: A scalar an ArrayFit may carry (finite if a float).
Scalar = Union[int, float, str]  # noqa: UP007


@dataclass(frozen=True, eq=False)
class ArrayFit:
    """A fitted state as named float64 arrays (read-only) plus scalars, for any teacher
    that is not a mixture. ``kind`` names the teacher's format (e.g. ``"spdl"``); the
    teacher validates shapes when it installs one. Logged exactly (base64 float64)."""

    kind: str
    fit_index: int
    seed: int
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind or self.kind == "gmm":
            raise StateMismatchError(f"fit kind must be a teacher's name, got {self.kind!r}")
        for name, a in self.arrays.items():
            if not np.isfinite(a).all():
                raise FitError(f"fit {self.fit_index} array {name!r} is not finite")
        for name, v in self.values.items():
            if isinstance(v, float) and not math.isfinite(v):
                raise FitError(f"fit {self.fit_index} value {name!r} is not finite")
        object.__setattr__(self, "arrays", {str(k): _readonly(a) for k, a in self.arrays.items()})

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "fit_index": self.fit_index,
            "seed": self.seed,
            "arrays": {k: _arrays.encode(a) for k, a in self.arrays.items()},
            "values": dict(self.values),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArrayFit:
        try:
            values = data.get("values") or {}
            if not isinstance(values, dict) or not all(
                isinstance(v, int | float | str) and not isinstance(v, bool)
                for v in values.values()
            ):
                raise ValueError("values must map names to numbers or strings")
            return cls(
                kind=str(data["kind"]),
                fit_index=int(data["fit_index"]),
                seed=int(data["seed"]),
                arrays={str(k): _arrays.decode(v) for k, v in dict(data["arrays"]).items()},
                values={str(k): v for k, v in values.items()},
            )
        except FitError as exc:
            raise StateMismatchError(f"malformed fit result: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateMismatchError(f"malformed fit result: {type(exc).__name__}: {exc}") from None


#: What a teacher installs and a ``fit`` event carries.
AnyFit = Union[FitResult, ArrayFit]  # noqa: UP007


def fit_from_json(data: dict[str, Any]) -> AnyFit:
    """Parse a logged fit: a mixture (no ``kind``, as in every log before schema 4) or an
    :class:`ArrayFit`. Raises StateMismatchError naming the problem."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind is None or kind == "gmm":
        return FitResult.from_json(data)
    return ArrayFit.from_json(data)


def _score(fit: MixtureFit, kind: str) -> np.ndarray:
    if kind == "alp":
        return np.maximum(fit.means[:, -1], 0.0)
    if kind == "time_return_cov":
        return np.maximum(fit.covariances[:, -2, -1], 0.0)
    raise ValueError(f"unknown score {kind!r}")


def run_fit(request: FitRequest | FitJob) -> AnyFit:
    """Run one fit: a :class:`FitJob`'s own ``run()``, or for a mixture request
    :func:`run_mixture_fit`. Never returns a non-finite fit (:class:`FitError`)."""
    if isinstance(request, FitRequest):
        return run_mixture_fit(request)
    result = request.run()
    if not isinstance(result, ArrayFit):
        raise FitError(f"fit {request.fit_index} returned {type(result).__name__}, "
                       "not an ArrayFit")
    return result


def run_mixture_fit(request: FitRequest) -> FitResult:
    """Fit mixtures for every k in the request's range and keep the best by criterion.

    Unbounded returns can make the data so large that EM overflows (an ALP of 1e200
    squares to inf). The fit is computed as always; only if that fails or gives a
    non-finite mixture is it redone on the data with each too-large column divided by a
    power of two (exact), the result carrying that ``scale``. A fit that was finite is
    therefore unchanged, and no non-finite fit is ever returned (:class:`FitError`)."""
    x = np.asarray(request.data, dtype=np.float64)
    error: Exception | None = None
    try:
        result = _fit(request, x, request.inits)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        error = exc
    else:
        if _finite(result):
            return result
    scale = column_scale(x)
    if scale is None:
        raise FitError(f"fit {request.fit_index} is not finite") from error
    scaled = _fit(request, x / scale, {})
    if not _finite(scaled):
        raise FitError(f"fit {request.fit_index} is not finite, even on scaled data")
    return FitResult(**{**scaled.__dict__, "scale": _readonly(scale)})


def _finite(r: FitResult) -> bool:
    return bool(
        all(np.isfinite(a).all() for a in (r.weights, r.means, r.covariances, r.scores))
        and np.isfinite(r.criterion_value)
    )


def _fit(request: FitRequest, x: np.ndarray,
         inits: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> FitResult:
    ks = list(range(request.k_range[0], request.k_range[1] + 1))
    ks = [k for k in ks if k <= x.shape[0]] or [1]
    with np.errstate(all="ignore"):  # overflow is detected on the result
        if request.backend == "sklearn":
            fits = fit_mixtures_sklearn(
                x, ks, request.seed, n_init=request.n_init, tol=request.tol,
                max_iter=request.max_iter, inits=inits,
            )
        else:
            fits = fit_mixtures(
                x, ks, np.random.default_rng(request.seed), n_init=request.n_init,
                tol=request.tol, max_iter=request.max_iter, inits=inits,
            )
        values = [criterion_value(f, x.shape[0], x.shape[1], request.criterion) for f in fits]
    best = int(np.nanargmin(values)) if not np.isnan(values).all() else 0
    chosen = fits[best]
    return FitResult(
        fit_index=request.fit_index,
        seed=request.seed,
        weights=_readonly(chosen.weights),
        means=_readonly(chosen.means),
        covariances=_readonly(chosen.covariances),
        scores=_readonly(_score(chosen, request.score)),
        criterion=request.criterion,
        criterion_value=float(values[best]),
        candidates=(
            {f.k: (f.weights, f.means, f.covariances) for f in fits}
            if request.warm_start
            else {}
        ),
    )
