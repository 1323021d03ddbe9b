"""The maths of SPDL's update: a Gaussian context distribution, parameterised by its mean
and the log-diagonal / strict lower triangle of its Cholesky factor, moved to maximise
the importance-weighted performance of the contexts it produced minus ``alpha`` times its
KL divergence to a target, within a KL trust region around the old distribution.

Pure functions of numpy arrays; analytic gradients (checked against finite differences
in the tests) so that one update costs milliseconds even in 12 dimensions. Everything
here works in the unit box (each task coordinate mapped to [0, 1]): KL divergences and
importance ratios are invariant under that affine map, and the optimiser sees
well-scaled numbers whatever the task units.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["Gaussian", "kernel_values", "kl", "kl_and_grad", "objective_and_grad", "optimise"]

#: TeachMyAgent's PercentageAlphaFunction floors the KL at this and caps alpha at 1e5.
KL_FLOOR = 1e-10
ALPHA_CAP = 1e5
#: A log importance ratio above this is capped (exp would overflow); only far outside
#: the trust region, where the optimiser never stops.
LOG_RATIO_CAP = 500.0


@dataclass(frozen=True, eq=False)
class Gaussian:
    """mean (d,), lower Cholesky factor (d, d) with a positive diagonal."""

    mean: np.ndarray
    chol: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def cov(self) -> np.ndarray:
        c: np.ndarray = self.chol @ self.chol.T
        return c

    @classmethod
    def from_cov(cls, mean: np.ndarray, cov: np.ndarray) -> Gaussian:
        """Raises numpy.linalg.LinAlgError if ``cov`` is not positive definite."""
        return cls(np.asarray(mean, dtype=np.float64),
                   np.linalg.cholesky(np.asarray(cov, dtype=np.float64)))

    def to_theta(self) -> np.ndarray:
        d = self.dim
        rows, cols = _strict_lower(d)
        return np.concatenate([self.mean, np.log(np.diag(self.chol)), self.chol[rows, cols]])

    @classmethod
    def from_theta(cls, theta: np.ndarray, d: int) -> Gaussian:
        chol = np.zeros((d, d))
        chol[np.diag_indices(d)] = np.exp(theta[d:2 * d])
        chol[_strict_lower(d)] = theta[2 * d:]
        return cls(np.array(theta[:d]), chol)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density at the rows of ``x`` (n, d)."""
        z = (x - self.mean) @ _tril_inv(self.chol).T
        half_logdet = float(np.log(np.diag(self.chol)).sum())
        out: np.ndarray = -0.5 * (z * z).sum(axis=1) - half_logdet - 0.5 * self.dim * math.log(
            2 * math.pi)
        return out


@functools.cache
def _strict_lower(d: int) -> tuple[np.ndarray, np.ndarray]:
    """np.tril_indices(d, -1), built once per dimension (updates ask for it thousands of
    times)."""
    rows, cols = np.tril_indices(d, -1)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


def _tril_inv(chol: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular factor (tiny matrices: numpy's inverse is
    cheaper than a triangular solve's wrapper, and as exact for these sizes)."""
    inv: np.ndarray = np.linalg.inv(chol)
    return np.tril(inv)


def _theta_grad(d: int, g_mean: np.ndarray, g_chol: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """The gradient with respect to theta from those with respect to (mean, chol)."""
    rows, cols = _strict_lower(d)
    return np.concatenate([g_mean, np.diag(g_chol) * np.diag(chol), g_chol[rows, cols]])


def _kl_parts(p: Gaussian, q: Gaussian) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """KL(p || q), and L_q^-1, Sigma_q^-1 and mean_p - mean_q for its gradients."""
    lq_inv = _tril_inv(q.chol)
    q_inv = lq_inv.T @ lq_inv
    delta = p.mean - q.mean
    m = lq_inv @ p.chol
    logdet = 2.0 * float(np.log(np.diag(q.chol)).sum() - np.log(np.diag(p.chol)).sum())
    value = 0.5 * (float((m * m).sum()) + float(delta @ q_inv @ delta) - p.dim + logdet)
    return value, lq_inv, q_inv, delta


def kl(p: Gaussian, q: Gaussian) -> float:
    """KL(p || q)."""
    return _kl_parts(p, q)[0]


def kl_and_grad(p: Gaussian, q: Gaussian, wrt: str) -> tuple[float, np.ndarray]:
    """KL(p || q) and its gradient with respect to the theta of ``wrt`` ("p" or "q")."""
    d = p.dim
    value, lq_inv, q_inv, delta = _kl_parts(p, q)
    lp_inv_t = _tril_inv(p.chol).T
    if wrt == "p":
        g_chol = np.tril(q_inv @ p.chol - lp_inv_t)
        return value, _theta_grad(d, q_inv @ delta, g_chol, p.chol)
    a = p.cov + np.outer(delta, delta)
    lq_inv_t = lq_inv.T
    g_chol = np.tril(lq_inv_t - q_inv @ a @ lq_inv_t)
    return value, _theta_grad(d, -(q_inv @ delta), g_chol, q.chol)


def objective_and_grad(theta: np.ndarray, d: int, contexts: np.ndarray, old_log_pdf: np.ndarray,
                       values: np.ndarray, alpha: float, target: Gaussian
                       ) -> tuple[float, np.ndarray]:
    """SPDL's objective at ``theta`` and its gradient: the importance-weighted mean of
    ``values`` over ``contexts`` (n, d) drawn from the old distribution (log densities
    ``old_log_pdf``) minus ``alpha`` * KL(p_theta || target)."""
    p = Gaussian.from_theta(theta, d)
    n = contexts.shape[0]
    lp_inv = _tril_inv(p.chol)
    z = (contexts - p.mean) @ lp_inv.T  # (n, d)
    log_pdf = (-0.5 * (z * z).sum(axis=1) - float(np.log(np.diag(p.chol)).sum())
               - 0.5 * d * math.log(2 * math.pi))
    w = np.exp(np.minimum(log_pdf - old_log_pdf, LOG_RATIO_CAP))
    wv = w * values / n
    perf = float(wv.sum())
    lp_inv_t = lp_inv.T
    # d log p(c) / d mean = L^-T z;  d log p(c) / d L = tril(L^-T (z z^T - I))
    g_mean = lp_inv_t @ (z.T @ wv)
    g_chol = np.tril(lp_inv_t @ ((z * wv[:, None]).T @ z - wv.sum() * np.eye(d)))
    grad = _theta_grad(d, g_mean, g_chol, p.chol)
    if alpha:
        k, g_k = kl_and_grad(p, target, wrt="p")
        return perf - alpha * k, grad - alpha * g_k
    return perf, grad


def kernel_values(contexts: np.ndarray, values: np.ndarray, bandwidth: float) -> np.ndarray:
    """The Nadaraya-Watson estimate of ``values`` at each of ``contexts`` (n, d): at each
    context, the mean of all the values weighted by a Gaussian kernel of sd ``bandwidth``
    on the distance between contexts (its own value included, with weight 1)."""
    z = contexts / bandwidth
    sq = (z * z).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (z @ z.T), 0.0)
    w = np.exp(-0.5 * d2)
    out: np.ndarray = (w @ values) / w.sum(axis=1)
    return out


def alpha_for(fit_index: int, performance: float, kl_to_target: float, *, alpha_offset: int,
              zeta: float) -> float:
    """TeachMyAgent's PercentageAlphaFunction (from Klink et al.'s code): 0 for the first
    ``alpha_offset - 1`` updates, then zeta * max(performance, 0) / KL(current || target),
    the KL floored at 1e-10 and alpha capped at 1e5."""
    if fit_index < alpha_offset:
        return 0.0
    with np.errstate(over="ignore"):
        a = zeta * max(performance, 0.0) / max(kl_to_target, KL_FLOOR)
    return float(min(a, ALPHA_CAP))


@dataclass(frozen=True)
class Step:
    """The outcome of one update: the new distribution and why it is what it is."""

    dist: Gaussian
    status: str
    iterations: int


def optimise(old: Gaussian, target: Gaussian, contexts: np.ndarray, values: np.ndarray,
             alpha: float, max_kl: float, max_iter: int = 100) -> Step:
    """Maximise the objective over theta subject to KL(old || p_theta) <= max_kl (SLSQP
    with analytic gradients), starting from ``old``. The returned distribution always
    satisfies the constraint and never scores below ``old``; otherwise ``old`` comes back
    with the reason in ``status``."""
    d = old.dim
    theta0 = old.to_theta()
    old_log_pdf = old.log_pdf(contexts)

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective_and_grad(theta, d, contexts, old_log_pdf, values, alpha, target)
        return -f, -g

    def kl_step(theta: np.ndarray) -> float:
        return kl(old, Gaussian.from_theta(theta, d))

    def con(theta: np.ndarray) -> float:
        return max_kl - kl_step(theta)

    def con_jac(theta: np.ndarray) -> np.ndarray:
        return -kl_and_grad(old, Gaussian.from_theta(theta, d), wrt="q")[1]

    with np.errstate(all="ignore"):
        f0, g0 = fun(theta0)
        if not math.isfinite(f0) or not np.isfinite(g0).all():
            return Step(old, "kept: objective not finite", 0)
        if float(np.linalg.norm(g0)) < 1e-10:  # as TeachMyAgent: nothing to follow
            return Step(old, "kept: zero gradient", 0)
        try:
            res = minimize(fun, theta0, jac=True, method="SLSQP",
                           constraints=[{"type": "ineq", "fun": con, "jac": con_jac}],
                           options={"maxiter": max_iter, "ftol": 1e-9})
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            return Step(old, f"kept: optimiser failed ({type(exc).__name__})", 0)
        theta = np.asarray(res.x, dtype=np.float64)
        nit = int(getattr(res, "nit", 0))
        # SLSQP may end a hair outside the trust region: then take the farthest point of
        # the segment from the old distribution that is inside it (bisection). Never
        # accept a worse point than the old distribution.
        step = theta - theta0

        def feasible(t: float) -> bool:
            k = kl_step(theta0 + t * step)
            return math.isfinite(k) and k <= max_kl

        t = 1.0
        if not feasible(1.0):
            lo, hi = 0.0, 1.0
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if feasible(mid) else (lo, mid)
            t = lo
        cand = theta0 + t * step
        f, _g = fun(cand)
        if t == 0.0 or not math.isfinite(f):
            return Step(old, "kept: trust region violated", nit)
        if not f < f0:
            return Step(old, "kept: no improvement", nit)
    new = Gaussian.from_theta(cand, d)
    status = "optimised" if res.success else f"optimised: {res.message}"
    return Step(new, status, nit)
