"""Batched expectation-maximisation for full-covariance Gaussian mixtures.

Fits every candidate number of components at once: the models are padded to the largest
``k`` and inactive components are masked, so one EM iteration is a handful of vectorised
numpy operations over arrays of shape (models, components, dims, points); models drop out
of the batch as they converge, several times faster than a loop of scikit-learn
``GaussianMixture`` fits (measured by ``benchmarks/bench_teachers.py``; numbers in
``benchmarks/RESULTS.md``).

It follows scikit-learn's algorithm: k-means initialisation of the responsibilities,
``reg_covar`` added to every covariance diagonal, convergence when the change of the mean
log-likelihood lower bound falls under ``tol``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LOG_2PI = float(np.log(2.0 * np.pi))
_EPS = 10.0 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class MixtureFit:
    """One fitted mixture. Shapes: weights (k,), means (k, D), covariances (k, D, D).

    ``log_likelihood`` is the mean per-point log-likelihood of the data under the final
    parameters (scikit-learn's ``score``).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_likelihood: float
    n_iter: int
    converged: bool

    @property
    def k(self) -> int:
        return int(self.weights.shape[0])


def n_parameters(k: int, dim: int) -> int:
    """Free parameters of a full-covariance mixture of ``k`` Gaussians in ``dim`` dims."""
    return k * dim * (dim + 1) // 2 + k * dim + (k - 1)


def criterion_value(fit: MixtureFit, n: int, dim: int, criterion: str) -> float:
    """AIC, BIC or AICc of ``fit`` on ``n`` points (lower is better)."""
    p = n_parameters(fit.k, dim)
    log_l = fit.log_likelihood * n
    if criterion == "aic":
        return -2.0 * log_l + 2.0 * p
    if criterion == "bic":
        return -2.0 * log_l + p * float(np.log(n))
    if criterion == "aicc":
        aic = -2.0 * log_l + 2.0 * p
        denom = n - p - 1
        return aic + (2.0 * p * (p + 1) / denom if denom > 0 else np.inf)
    raise ValueError(f"criterion must be one of aic, bic, aicc, got {criterion!r}")


def _kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (scikit-learn's k-means initialisation): each new centre
    is the best, by the resulting sum of squared distances, of ``2 + ln k`` rows drawn
    with probability ~ squared distance to the centres so far. The greedy pick makes bad
    seedings (two centres in one cluster) rare; plain k-means++ left EM in poor optima
    often enough to lower ALP-GMM's toy score (docs/teachers_bench.md)."""
    n = x.shape[0]
    trials = 2 + int(np.log(k))
    centers = np.empty((k, x.shape[1]))
    centers[0] = x[rng.integers(n)]
    d2 = ((x - centers[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        total = d2.sum()
        if total <= 0:  # every row sits on a centre already
            centers[j] = x[rng.integers(n)]
            continue
        cand = np.minimum(np.searchsorted(d2.cumsum(), rng.random(trials) * total), n - 1)
        cand_d2 = np.minimum(d2, ((x[None, :, :] - x[cand][:, None, :]) ** 2).sum(-1))
        best = int(cand_d2.sum(axis=1).argmin())
        centers[j] = x[cand[best]]
        d2 = cand_d2[best]
    return centers


def _kmeans_responsibilities(
    x: np.ndarray, ks: list[int], kmax: int, rng: np.random.Generator, iters: int = 300
) -> np.ndarray:
    """Hard k-means assignments (Lloyd's iterations until no label changes, at most
    ``iters``) as one-hot responsibilities, shape (M, kmax, n)."""
    m = len(ks)
    centers = np.zeros((m, kmax, x.shape[1]))
    mask = np.arange(kmax)[None, :] < np.array(ks)[:, None]  # (M, K)
    for i, k in enumerate(ks):
        centers[i, :k] = _kmeans_plus_plus(x, k, rng)
    labels = np.zeros((m, x.shape[0]), dtype=np.int64)
    x2 = (x**2).sum(-1)
    for it in range(iters):
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2, shape (M, K, n)
        d2 = x2[None, None, :] - 2.0 * (centers @ x.T) + (centers**2).sum(-1)[..., None]
        d2 = np.where(mask[:, :, None], d2, np.inf)
        new = d2.argmin(axis=1)
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
        onehot = labels[:, None, :] == np.arange(kmax)[None, :, None]  # (M, K, n)
        counts = onehot.sum(-1)
        sums = onehot.astype(np.float64) @ x  # (M, K, D)
        nonempty = counts > 0
        centers = np.where(nonempty[..., None], sums / np.maximum(counts, 1)[..., None], centers)
    onehot = (labels[:, None, :] == np.arange(kmax)[None, :, None]).astype(np.float64)
    return onehot * mask[:, :, None]


def _m_step(
    x: np.ndarray, resp: np.ndarray, reg_covar: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (M, K), means (M, K, D), covariances (M, K, D, D) from responsibilities."""
    n, d = x.shape
    nk = resp.sum(-1) + _EPS  # (M, K)
    means = (resp @ x) / nk[..., None]
    # Points on the last axis throughout: numpy is slow on a short innermost axis (D).
    diff = x.T[None, None, :, :] - means[:, :, :, None]  # (M, K, D, n)
    covs = ((diff * resp[:, :, None, :]) @ np.swapaxes(diff, -1, -2)) / nk[..., None, None]
    covs += reg_covar * np.eye(d)
    return nk / n, means, covs


def _log_prob(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Weighted log densities log(w_k N(x | mu_k, S_k)), shape (M, K, n); -inf if masked."""
    d = x.shape[1]
    safe = np.where(mask[..., None, None], covs, np.eye(d))
    chol = np.linalg.cholesky(safe)
    inv_chol = np.linalg.inv(chol)  # lower-triangular, (M, K, D, D)
    log_det = np.log(np.diagonal(inv_chol, axis1=-2, axis2=-1)).sum(-1)  # (M, K)
    diff = x.T[None, None, :, :] - means[:, :, :, None]  # (M, K, D, n)
    y = inv_chol @ diff
    maha = (y * y).sum(-2)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.where(mask, weights, 0.0))
    out = -0.5 * (d * _LOG_2PI + maha) + log_det[..., None] + log_w[..., None]
    return np.where(mask[..., None], out, -np.inf)


def _e_step(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean log-likelihood per model (M,) and responsibilities (M, K, n)."""
    lp = _log_prob(x, weights, means, covs, mask)
    top = lp.max(axis=1, keepdims=True)
    lse = top[:, 0, :] + np.log(np.exp(lp - top).sum(axis=1))  # (M, n)
    resp = np.exp(lp - lse[:, None, :])
    return lse.mean(axis=1), resp


def fit_mixtures(
    x: np.ndarray,
    ks: list[int],
    rng: np.random.Generator,
    *,
    n_init: int = 1,
    tol: float = 1e-3,
    max_iter: int = 100,
    reg_covar: float = 1e-6,
    inits: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> list[MixtureFit]:
    """Fit one mixture per entry of ``ks`` (best of ``n_init`` starts), in ``ks`` order.

    x: array of shape (n, D). ``inits`` maps k to (weights, means, covariances) used to
    start EM for that k instead of k-means (warm start); such a k gets a single start.
    """
    x = np.asarray(x, dtype=np.float64)
    inits = inits or {}
    model_ks: list[int] = []
    for k in ks:
        model_ks += [k] if k in inits else [k] * n_init
    kmax = max(model_ks)
    m = len(model_ks)
    mask = np.arange(kmax)[None, :] < np.array(model_ks)[:, None]
    cold = [i for i, k in enumerate(model_ks) if k not in inits]
    weights = np.zeros((m, kmax))
    means = np.zeros((m, kmax, x.shape[1]))
    covs = np.tile(np.eye(x.shape[1]), (m, kmax, 1, 1))
    if cold:
        resp = _kmeans_responsibilities(x, [model_ks[i] for i in cold], kmax, rng)
        w, mu, s = _m_step(x, resp, reg_covar)
        weights[cold], means[cold], covs[cold] = w, mu, s
    for i, k in enumerate(model_ks):
        if k in inits:
            w0, mu0, s0 = inits[k]
            weights[i, :k], means[i, :k], covs[i, :k] = w0, mu0, s0
    weights = weights * mask

    lower = np.full(m, -np.inf)
    active = np.ones(m, dtype=bool)
    n_iter = np.zeros(m, dtype=np.int64)
    for _ in range(max_iter):
        # Iterate on the models still running only: each model's arithmetic is the same
        # as in the full batch (bit for bit), the work is not.
        act = np.flatnonzero(active)
        msk = mask[act]
        ll, resp = _e_step(x, weights[act], means[act], covs[act], msk)
        w, mu, s = _m_step(x, resp * msk[..., None], reg_covar)
        weights[act], means[act], covs[act] = w * msk, mu, s
        n_iter[act] += 1
        change = np.abs(ll - lower[act])
        lower[act] = ll
        active[act] = ~(change < tol)
        if not active.any():
            break
    final_ll, _ = _e_step(x, weights, means, covs, mask)

    fits: list[MixtureFit] = []
    for k in ks:
        idx = [i for i, mk in enumerate(model_ks) if mk == k]
        best = max(idx, key=lambda i: (lower[i], -i))  # scikit-learn keeps the best bound
        fits.append(
            MixtureFit(
                weights=weights[best, :k].copy(),
                means=means[best, :k].copy(),
                covariances=covs[best, :k].copy(),
                log_likelihood=float(final_ll[best]),
                n_iter=int(n_iter[best]),
                converged=not bool(active[best]),
            )
        )
    return fits


def fit_mixtures_sklearn(
    x: np.ndarray,
    ks: list[int],
    seed: int,
    *,
    n_init: int = 1,
    tol: float = 1e-3,
    max_iter: int = 100,
    reg_covar: float = 1e-6,
    inits: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> list[MixtureFit]:
    """Same contract as :func:`fit_mixtures`, computed by scikit-learn's GaussianMixture."""
    from sklearn.mixture import GaussianMixture

    inits = inits or {}
    fits = []
    for k in ks:
        kwargs: dict = {}
        if k in inits:
            w0, mu0, s0 = inits[k]
            kwargs = {
                "weights_init": w0 / w0.sum(),
                "means_init": mu0,
                "precisions_init": np.linalg.inv(s0),
            }
        gm = GaussianMixture(
            n_components=k,
            covariance_type="full",
            n_init=1 if k in inits else n_init,
            tol=tol,
            max_iter=max_iter,
            reg_covar=reg_covar,
            random_state=seed % 2**32,  # scikit-learn takes 32-bit seeds
            **kwargs,
        )
        gm.fit(x)
        fits.append(
            MixtureFit(
                weights=gm.weights_.copy(),
                means=gm.means_.copy(),
                covariances=gm.covariances_.copy(),
                log_likelihood=float(gm.score(x)),
                n_iter=int(gm.n_iter_),
                converged=bool(gm.converged_),
            )
        )
    return fits
