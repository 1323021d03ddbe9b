"""SPDL: the maths of its update, its trust region, where it moves, its fit step."""

import dataclasses
import json
import pickle

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from teacher import (
    ArrayFit,
    Curriculum,
    CurriculumConfig,
    InvalidParameterError,
    ResultIn,
    StateMismatchError,
    TaskSpace,
    ToyStudent,
    make_teacher,
    read_jsonl,
    run_fit,
)
from teacher._spdl_math import Gaussian, kernel_values, kl, kl_and_grad, objective_and_grad
from teacher.events import event_to_json

SPACE = TaskSpace({"h": (0.0, 3.0), "s": (0.0, 6.0)})  # unequal ranges, as Stump Tracks


def _random_gaussian(rng, d):
    a = rng.normal(size=(d, d))
    return Gaussian.from_cov(rng.normal(size=d), a @ a.T + 0.5 * np.eye(d))


@pytest.mark.parametrize("d", [1, 2, 4])
def test_analytic_gradients_match_finite_differences(d):
    rng = np.random.default_rng(d)
    p, q = _random_gaussian(rng, d), _random_gaussian(rng, d)
    tp, tq = p.to_theta(), q.to_theta()
    num = approx_fprime(tp, lambda t: kl(Gaussian.from_theta(t, d), q), 1e-7)
    np.testing.assert_allclose(kl_and_grad(p, q, "p")[1], num, atol=1e-5)
    num = approx_fprime(tq, lambda t: kl(p, Gaussian.from_theta(t, d)), 1e-7)
    np.testing.assert_allclose(kl_and_grad(p, q, "q")[1], num, atol=1e-5)
    ctx = rng.multivariate_normal(p.mean, p.cov, size=40)
    vals, old = rng.random(40), p.log_pdf(ctx)
    theta = tp + 0.1 * rng.normal(size=tp.shape)
    f, g = objective_and_grad(theta, d, ctx, old, vals, 0.3, q)
    num = approx_fprime(theta, lambda t: objective_and_grad(t, d, ctx, old, vals, 0.3, q)[0],
                        1e-7)
    np.testing.assert_allclose(g, num, atol=1e-5)
    # the closed-form KL agrees with a Monte Carlo estimate
    x = rng.multivariate_normal(p.mean, p.cov, size=100_000)
    assert kl(p, q) == pytest.approx(np.mean(p.log_pdf(x) - q.log_pdf(x)), rel=0.05, abs=0.01)


def test_kernel_values_are_the_kernel_weighted_mean_of_the_returns():
    rng = np.random.default_rng(0)
    x, y = rng.random((30, 3)), rng.random(30)
    expected = []
    for xi in x:
        w = np.exp(-0.5 * ((x - xi) ** 2).sum(axis=1) / 0.2**2)
        expected.append((w * y).sum() / w.sum())
    np.testing.assert_allclose(kernel_values(x, y, 0.2), expected, rtol=1e-12)
    np.testing.assert_allclose(kernel_values(x, np.full(30, 0.7), 0.2), 0.7, rtol=1e-12)
    np.testing.assert_allclose(kernel_values(x, y, 1e-6), y)  # no neighbour that close
    # a task not yet learnt next to mastered ones is worth more than its own return of 0
    line = np.array([[0.0], [0.05], [0.1], [0.9]])
    v = kernel_values(line, np.array([1.0, 1.0, 0.0, 0.0]), 0.1)
    assert 0.3 < v[2] < 0.7 and v[3] < 1e-6


@pytest.mark.parametrize("bandwidth", [0.05, 0.1])
def test_the_update_values_each_task_by_the_kernel_regression_of_the_returns(bandwidth):
    """The fit with value_bandwidth b is the fit of the same tasks valued by
    kernel_values in the unit box; value_bandwidth=None uses the returns themselves."""
    t = make_teacher("spdl", SPACE, random_state=9, update_frequency=60, update_offset=60,
                     alpha_offset=0, initial_mean=(0.6, 1.2), value_bandwidth=bandwidth)
    for _ in range(60):
        task = t.sample_task()
        t.observe(task, 0.9 * (task[0] < 0.6 and task[1] < 1.2))
    job = t.pending_fit
    assert job.value_bandwidth == bandwidth
    unit = (job.contexts - SPACE.low) / SPACE.width
    by_hand = dataclasses.replace(job, value_bandwidth=None,
                                  values=kernel_values(unit, job.values, bandwidth))
    # (returns of 0.9 keep the power-of-two rescaling of the values the same: 1 for both)
    assert 0.5 <= by_hand.values.max() <= job.values.max() < 1.0
    fit, expected = run_fit(job), run_fit(by_hand)
    assert fit.values["status"] == "optimised"
    assert np.array_equal(fit.arrays["mean"], expected.arrays["mean"])
    assert np.array_equal(fit.arrays["cov"], expected.arrays["cov"])
    raw = run_fit(dataclasses.replace(job, value_bandwidth=None))
    assert not np.array_equal(raw.arrays["mean"], fit.arrays["mean"])


def _feed(t, rewards_of, n, seed=0):
    """``n`` episodes on the teacher's own tasks, rewarded by ``rewards_of(task)``; the KL
    of every installed update from the distribution before it."""
    steps = []
    for _ in range(n):
        before = (t.mean_.copy(), t.cov_.copy())
        task = t.sample_task()
        t.update(task, rewards_of(task))
        if t.installed_fit_index and not np.array_equal(before[1], t.cov_) or (
                not np.array_equal(before[0], t.mean_)):
            w = SPACE.width
            old = Gaussian.from_cov(before[0] / w, before[1] / np.outer(w, w))
            new = Gaussian.from_cov(t.mean_ / w, t.cov_ / np.outer(w, w))
            steps.append(kl(old, new))
    return steps


def test_every_update_stays_within_the_trust_region():
    t = make_teacher("spdl", SPACE, random_state=0, update_frequency=25, update_offset=25,
                     alpha_offset=3, max_kl=0.005)
    steps = _feed(t, lambda task: float(task[0] / 3 + task[1] / 6), 300)
    # (the step is exact in the unit box; mapped to the task's units and back, the KL
    # picks up rounding in its last bits)
    assert len(steps) >= 10 and max(steps) <= 0.005 * (1 + 1e-9)
    assert min(steps) > 0.0045  # the constraint is active, not trivially met
    assert t.fit_values_["kl_step"] <= 0.005


def test_it_moves_towards_the_target_when_the_student_performs():
    """alpha > 0 from the first update: with returns of 1 everywhere the Gaussian leaves
    the low corner for the centre of the box. (zeta 2: with the default 0.25 the pull is
    weak enough for the importance weights' sampling noise to win some updates.)"""
    t = make_teacher("spdl", SPACE, random_state=1, update_frequency=50, update_offset=50,
                     alpha_offset=0, zeta=2.0)
    start = None
    kls = []
    for _ in range(6):
        _feed(t, lambda task: 1.0, 50)
        start = t.fit_values_["kl_target_before"] if start is None else start
        kls.append(t.fit_values_["kl_target"])
        assert t.fit_values_["alpha"] > 0 and t.fit_values_["status"] == "optimised"
    assert kls == sorted(kls, reverse=True) and kls[-1] < 0.5 * start
    assert (t.mean_ > SPACE.low + 0.15 * SPACE.width).all()


def test_it_stays_while_the_student_performs_nothing():
    """Returns of 0: performance 0 gives alpha 0 and nothing to gain; every update keeps
    the distribution exactly."""
    t = make_teacher("spdl", SPACE, random_state=2, update_frequency=50, update_offset=50,
                     alpha_offset=0)
    mean, cov = t.mean_.copy(), t.cov_.copy()
    _feed(t, lambda task: 0.0, 300)
    assert t.installed_fit_index == 6
    assert np.array_equal(t.mean_, mean) and np.array_equal(t.cov_, cov)
    assert t.fit_values_["status"] == "kept: zero gradient" and t.fit_values_["alpha"] == 0


def test_before_alpha_it_follows_the_returns():
    """alpha is 0 for the first alpha_offset - 1 updates: the Gaussian moves to where
    returns are high (here: larger h)."""
    t = make_teacher("spdl", SPACE, random_state=3, update_frequency=50, update_offset=50,
                     initial_mean=(1.5, 3.0), initial_std=(0.5, 1.0))
    _feed(t, lambda task: float(task[0] > 1.5), 200)
    assert t.fit_values_["alpha"] == 0 and t.mean_[0] > 1.7


def test_the_default_distribution_and_its_samples():
    t = make_teacher("spdl", SPACE, random_state=4)
    np.testing.assert_array_equal(t.mean_, SPACE.low)
    np.testing.assert_allclose(np.sqrt(np.diag(t.cov_)), 0.1 * SPACE.width)
    state = t.describe_state()
    assert state["kind"] == "gaussian" and state["target_mean"] == [1.5, 3.0]
    np.testing.assert_allclose(np.sqrt(np.diag(state["target_cov"])), SPACE.width / 4)
    tasks = np.array([t.sample_task() for _ in range(400)])
    assert (tasks >= SPACE.low).all() and (tasks == 0).any()  # clipped into the box
    assert set(t.record_.origins) == {"gaussian"}


def test_std_lower_bound_floors_the_spread_far_from_the_target():
    t = make_teacher("spdl", SPACE, random_state=5, update_frequency=50, update_offset=50,
                     std_lower_bound=0.2, kl_threshold=0.0, initial_mean=(1.5, 3.0))
    _feed(t, lambda task: float(abs(task[0] - 1.5) < 0.05), 200)  # rewards a thin band
    assert (np.diag(np.linalg.cholesky(t.cov_)) >= 0.2 * SPACE.width - 1e-12).all()


def test_the_update_is_a_separable_pure_step():
    sync = make_teacher("spdl", SPACE, random_state=6, update_frequency=30, update_offset=30)
    deferred = make_teacher("spdl", SPACE, random_state=6, update_frequency=30,
                            update_offset=30)
    rng = np.random.default_rng(0)
    data = [(rng.random(2) * SPACE.width, float(rng.random())) for _ in range(90)]
    for task, r in data[:30]:
        sync.update(task, r)
        deferred.observe(task, r)
    job = deferred.pending_fit
    assert job.fit_index == 1 and job.episode == 30 and not job.contexts.flags.writeable
    for _ in range(5):  # sampling meanwhile draws from the previous Gaussian
        deferred.sample_task()
    again = pickle.loads(pickle.dumps(job))
    result = run_fit(again)
    assert isinstance(result, ArrayFit) and result.kind == "spdl"
    assert np.array_equal(result.arrays["mean"], run_fit(job).arrays["mean"])
    deferred.install_fit(result)
    assert np.array_equal(deferred.mean_, sync.mean_) and np.array_equal(deferred.cov_, sync.cov_)
    with pytest.raises(StateMismatchError, match="fit_index must be greater"):
        deferred.install_fit(result)
    # two more due points without an install: the newest job is pending
    for task, r in data[30:]:
        deferred.observe(task, r)
    assert deferred.pending_fit.fit_index == 3 and deferred.fits_due == 3
    deferred.install_fit(run_fit(deferred.pending_fit))
    assert deferred.pending_fit is None and deferred.installed_fit_index == 3


@pytest.mark.parametrize("change, fragment", [
    ({"kind": "adr"}, "ArrayFit of kind 'spdl'"),
    ({"arrays": {"mean": np.zeros(3), "cov": np.eye(2)}}, "must carry 'mean'"),
    ({"arrays": {"mean": np.zeros(2)}}, "must carry 'mean'"),
    ({"arrays": {"mean": np.zeros(2), "cov": np.array([[1.0, 0.5], [0.4, 1.0]])}},
     "symmetric"),
    ({"arrays": {"mean": np.zeros(2), "cov": np.array([[1.0, 2.0], [2.0, 1.0]])}},
     "positive definite"),
])
def test_a_bad_fit_is_refused_and_changes_nothing(change, fragment):
    t = make_teacher("spdl", SPACE, random_state=7)
    before = json.dumps(t.state_dict())
    fit = {"kind": "spdl", "fit_index": 1, "seed": 0,
           "arrays": {"mean": np.ones(2), "cov": np.eye(2)}, **change}
    with pytest.raises(StateMismatchError, match=fragment):
        t.install_fit(ArrayFit(**fit))
    assert json.dumps(t.state_dict()) == before


@pytest.mark.parametrize("params, fragment", [
    ({"initial_mean": (0.0,)}, "initial_mean must have 2 values"),
    ({"target_std": (1.0, 0.0)}, "target_std must be a list of positive numbers"),
    ({"max_kl": 0.0}, "max_kl must be a finite number in \\(0.0"),
    ({"update_frequency": 0}, "update_frequency must be an integer in \\[1"),
    ({"std_lower_bound": 0.1}, "std_lower_bound and kl_threshold must be given together"),
    ({"zeta": -1.0}, "zeta must be a finite number in \\[0.0"),
    ({"value_bandwidth": 0.0}, "value_bandwidth must be a finite number in \\(0.0, .*got 0.0"),
    ({"value_bandwidth": "wide"}, "value_bandwidth must be a finite number in .*, got 'wide'"),
])
def test_bad_hyper_parameters_name_the_field(params, fragment):
    with pytest.raises(InvalidParameterError, match=fragment):
        make_teacher("spdl", SPACE, **params)


def test_late_installs_replay_exactly_from_the_log():
    """The server installs updates whenever its workers finish: the log records where,
    and a replay installs them there, giving the live teacher back exactly."""
    space = ToyStudent().space
    config = CurriculumConfig(name="toy", teacher="spdl", space=space, seed=3,
                              teacher_params={"update_frequency": 20, "update_offset": 20,
                                              "alpha_offset": 2})
    live = Curriculum(config, fit_mode="defer")
    events, student = [live.created_event()], ToyStudent(random_state=0)
    for i in range(130):
        (t,) = live.issue_tasks(1)
        events.append(t)
        events += live.report([ResultIn(t.task_id, student.episode(list(t.params.values())))
                               ]).events
        if live.teacher.pending_fit is not None and i % 9 == 0:
            events.append(live.install_fit(run_fit(live.teacher.pending_fit)))
    assert live.n_fits >= 3
    lines = [json.dumps(event_to_json(e)) for e in events]
    rebuilt = Curriculum.from_events(read_jsonl(lines))
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())
    assert [rebuilt.teacher.sample_task().tolist() for _ in range(5)] == [
        live.teacher.sample_task().tolist() for _ in range(5)]


def test_the_analysis_plots_a_log_whose_fits_are_not_mixtures(tmp_path):
    """`curriculum replay` on an spdl log raised KeyError (the GMM plots and the GIF read
    mixture covariances that an SPDL fit does not have); now those plots are skipped with
    the reason and the others are written."""
    pytest.importorskip("matplotlib")
    from teacher import JsonlWriter
    from teacher.analysis import load_log, save_all_plots, skipped_plots

    space = ToyStudent().space
    config = CurriculumConfig(name="toy", teacher="spdl", space=space, seed=0,
                              teacher_params={"update_frequency": 20, "update_offset": 20})
    cur, student = Curriculum(config), ToyStudent(random_state=0)
    events = [cur.created_event()]
    for _ in range(60):
        (t,) = cur.issue_tasks(1)
        events += [t, *cur.report([ResultIn(t.task_id, student.episode(
            list(t.params.values())))]).events]
    path = tmp_path / "spdl.jsonl"
    with JsonlWriter(path) as w:
        for e in events:
            w.write(e)
    log = load_log(path)
    assert len(log.fits) == 3
    assert "not mixtures" in skipped_plots(log)["gmm.png"]
    written = {p.name for p in save_all_plots(log, tmp_path / "plots", dpi=40)}
    assert {"tasks.png", "curriculum.gif"} <= written and "gmm.png" not in written


def test_a_numerically_hopeless_update_keeps_the_old_gaussian_and_says_why():
    """An old Gaussian so narrow that the buffered tasks have zero density under it makes
    every importance ratio 0/0: the update keeps it, bit for bit, and records why."""
    t = make_teacher("spdl", SPACE, random_state=8, update_frequency=20, update_offset=20)
    for _ in range(20):
        t.observe(t.sample_task(), 1.0)
    job = dataclasses.replace(t.pending_fit, old_mean=np.array([1.5, 3.0]),
                              old_cov=np.diag([1e-300, 1e-300]))
    fit = run_fit(job)
    assert fit.values["status"].startswith("kept:"), fit.values
    assert np.array_equal(fit.arrays["mean"], job.old_mean)
    assert np.array_equal(fit.arrays["cov"], job.old_cov) and fit.values["kl_step"] == 0.0
