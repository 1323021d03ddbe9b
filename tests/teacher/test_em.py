import numpy as np
import pytest

from teacher._em import criterion_value, fit_mixtures, fit_mixtures_sklearn, n_parameters


def _blobs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.normal(0, 1, (100, 3)), rng.normal(5, 0.5, (100, 3)), rng.normal(-4, 0.3, (50, 3))]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_likelihood_matches_scikit_learn(seed):
    x = _blobs(seed)
    ks = list(range(2, 11))
    ours = fit_mixtures(x, ks, np.random.default_rng(seed))
    ref = fit_mixtures_sklearn(x, ks, seed)
    ll_ours = np.array([f.log_likelihood for f in ours])
    ll_ref = np.array([f.log_likelihood for f in ref])
    # Local optima differ with the initialisation; on average they must agree closely.
    assert abs(ll_ours.mean() - ll_ref.mean()) < 0.05
    # k = 3 is the true structure: both must find the same optimum there.
    assert ours[1].log_likelihood == pytest.approx(ref[1].log_likelihood, abs=1e-3)
    for f in ours:
        assert np.allclose(f.weights.sum(), 1.0)
        assert np.all(np.linalg.eigvalsh(f.covariances) > 0)


def test_aic_picks_the_true_number_of_clusters():
    x = _blobs(3)
    fits = fit_mixtures(x, list(range(1, 8)), np.random.default_rng(0))
    values = [criterion_value(f, len(x), 3, "aic") for f in fits]
    assert fits[int(np.argmin(values))].k == 3
    bic = [criterion_value(f, len(x), 3, "bic") for f in fits]
    assert fits[int(np.argmin(bic))].k == 3


def test_parameter_count():
    assert n_parameters(2, 3) == 2 * 6 + 2 * 3 + 1


def test_same_seed_same_fit():
    x = _blobs(4)
    a = fit_mixtures(x, [2, 5], np.random.default_rng(7))
    b = fit_mixtures(x, [2, 5], np.random.default_rng(7))
    for fa, fb in zip(a, b, strict=True):
        assert np.array_equal(fa.means, fb.means)
