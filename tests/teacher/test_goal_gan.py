"""GoalGAN: labelling, the pool, the separable GAN fit and exact replay from logged weights."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

pytest.importorskip("torch")

from teacher import (  # noqa: E402
    ArrayFit,
    Curriculum,
    CurriculumConfig,
    InvalidParameterError,
    ResultIn,
    StateMismatchError,
    TaskSpace,
    make_teacher,
    read_jsonl,
    run_fit,
)
from teacher._gan import GANFitJob, GANShape, generator_layers  # noqa: E402
from teacher._nn import mlp_forward  # noqa: E402
from teacher.events import event_to_json  # noqa: E402

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})
TINY = {"gan_iterations": 3, "pretrain_iterations": 5, "generator_layers": (8,),
        "discriminator_layers": (8,), "batch_size": 8}


class CoinStudent:
    """Succeeds (return 1) with probability x0, else fails (return 0): rates of 0, 1/2
    and 1 over two rollouts all occur."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def episode(self, task) -> float:
        return 1.0 if self.rng.random() < float(np.asarray(task)[0]) else 0.0


def drive(t, n: int, student=None, sync: bool = True) -> list:
    student = student or CoinStudent()
    samples = []
    for _ in range(n):
        s = t.sample()
        samples.append(s)
        (t.update if sync else t.observe)(s.task, student.episode(s.task))
    return samples


def test_repeats_labels_and_pool_follow_the_rollouts():
    t = make_teacher("goal-gan", SPACE, random_state=0, update_size=10_000, p_old=0.0,
                     success_threshold=0.5, pretrain="uniform", **TINY)
    left = type("Left", (), {"episode": lambda self, x: float(x[0] < 0.5)})()
    samples = drive(t, 400, left)
    for a, b in zip(samples, samples[1:], strict=False):
        if a.origin in ("gan", "bootstrap"):  # n_rollouts=2: one repeat right after
            assert b.origin == "repeat" and np.array_equal(a.task, b.task)
    assert t.n_labelled_ == 200 and t.n_positive_ == 0  # rates are 0 or 1 here
    assert len(t.pool_) > 5 and (t.pool_[:, 0] < 0.5).all()
    gaps = np.linalg.norm(t.pool_[:, None] - t.pool_[None], axis=2)
    assert gaps[np.triu_indices(len(t.pool_), 1)].min() > 0.01 * np.sqrt(2)


def test_pool_tasks_are_replayed_with_noise():
    t = make_teacher("goal-gan", SPACE, random_state=1, update_size=10_000, p_old=0.5,
                     success_threshold=0.5, **TINY)
    t.pool_ = np.array([[0.2, 0.8]])
    t.install_fit(run_fit(t.pending_fit))
    never = type("Never", (), {"episode": lambda self, x: 0.0})()  # the pool stays as set
    replays = np.array([s.task for s in drive(t, 300, never) if s.origin == "replay"])
    assert 50 < len(replays) < 150
    assert 0.05 < replays.std(axis=0).mean() < 0.15  # state_noise_level 0.1 of each range
    np.testing.assert_allclose(replays.mean(axis=0), [0.2, 0.8], atol=0.05)


def test_a_fit_is_a_separable_pure_step_and_refuses_bad_installs():
    kw = dict(random_state=3, update_size=20, goid_lb=0.25, goid_ub=0.75, **TINY)
    sync, deferred = (make_teacher("goal-gan", SPACE, **kw) for _ in range(2))
    student_a, student_b = CoinStudent(5), CoinStudent(5)
    drive(sync, 1, student_a)
    drive(deferred, 1, student_b, sync=False)
    first = deferred.pending_fit
    assert first is not None and first.fit_index == 1 and first.pretrain_tasks is not None
    deferred.install_fit(run_fit(first))
    while deferred.pending_fit is None:
        drive(sync, 1, student_a)
        drive(deferred, 1, student_b, sync=False)
    job = deferred.pending_fit
    assert job.fit_index == 2 and job.episode == deferred.n_updates_ and len(job.batches) == 1
    again = pickle.loads(pickle.dumps(job))  # what the server's worker processes receive
    a, b = job.run(), again.run()
    assert a.kind == "goal-gan" and sorted(a.arrays) == sorted(b.arrays)
    assert all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    assert all(np.array_equal(a.arrays[k], sync.fit_.arrays[k]) for k in a.arrays)

    before = json.dumps(deferred.state_dict())
    bad = [
        (ArrayFit("spdl", 2, 0, {}), "ArrayFit of kind 'goal-gan'"),
        (ArrayFit("goal-gan", 1, 0, dict(a.arrays)), "fit_index must be greater"),
        (ArrayFit("goal-gan", 2, 0, {k: v for k, v in a.arrays.items() if k != "gen.0.bias"}),
         "fit arrays must be"),
        (ArrayFit("goal-gan", 2, 0, {**a.arrays, "gen.0.bias": np.zeros(3)}),
         r"'gen.0.bias' must have shape \(8,\)"),
    ]
    for fit, fragment in bad:
        with pytest.raises(StateMismatchError, match=fragment):
            deferred.install_fit(fit)
        assert json.dumps(deferred.state_dict()) == before
    deferred.install_fit(a)
    assert deferred.pending_fit is None and deferred.installed_fit_index == 2


def test_fits_that_fall_behind_are_coalesced_into_the_newest_job():
    t = make_teacher("goal-gan", SPACE, random_state=2, update_size=10, **TINY)
    drive(t, 200, sync=False)
    job = t.pending_fit
    assert job.fit_index == t.fits_due > 3
    assert job.pretrain_tasks is not None and len(job.batches) == t.fits_due - 1
    t.install_fit(run_fit(job))
    assert t.pending_fit is None
    drive(t, 200, sync=False)
    later = t.pending_fit
    assert later.pretrain_tasks is None and len(later.batches) == t.fits_due - job.fit_index


def test_the_generator_learns_where_the_positive_tasks_are():
    shape = GANShape(2, 2, (16, 16), (16, 16))
    rng = np.random.default_rng(0)
    tasks = rng.uniform(-0.5, 0.5, size=(200, 2))
    labels = (tasks[:, 0] < -0.2).astype(float)  # positives: the left 30% of the box
    job = GANFitJob(fit_index=1, episode=0, seed=11, shape=shape,
                    pretrain_tasks=rng.uniform(-0.5, 0.5, size=(1000, 2)),
                    pretrain_iterations=100, batches=((tasks, labels),), iterations=300)
    fit = job.run()
    layers, acts = generator_layers(shape)
    out = mlp_forward(fit.arrays, "gen", rng.standard_normal((500, 2)), layers, acts)
    x0 = np.clip(0.5 + out[:, 0], 0, 1)  # task = centre + out * width on [0, 1]
    assert (x0 < 0.4).mean() > 0.7


BOX = TaskSpace({"x0": (0.0, 2.0), "x1": (-1.0, 1.0)})


def _pretrain_tasks(seed: int = 7, **params) -> np.ndarray:
    """The first fit's 1000 pretraining tasks, in the space's units."""
    x = make_teacher("goal-gan", BOX, random_state=seed, **TINY, **params).pending_fit
    return (BOX.low + BOX.high) / 2 + x.pretrain_tasks * (BOX.high - BOX.low)


def test_initial_pretraining_draws_from_the_initial_gaussian_clipped_to_the_box():
    given = _pretrain_tasks(initial_mean=(0.5, 0.0), initial_std=(0.1, 0.3))
    np.testing.assert_allclose(given.mean(axis=0), [0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(given.std(axis=0), [0.1, 0.3], rtol=0.1)
    # the default, like SPDL's initial distribution: the low corner, sd 10% of each range;
    # half of each coordinate falls outside the box and is clipped onto its edge
    default = _pretrain_tasks()
    assert make_teacher("goal-gan", BOX, **TINY).pretrain == "initial"
    assert (default >= BOX.low).all() and (default <= BOX.low + 5 * 0.2).all()
    at_corner = (default == BOX.low).mean(axis=0)
    assert ((at_corner > 0.4) & (at_corner < 0.6)).all()
    # seeded: the same seed draws the same tasks, another seed others
    assert np.array_equal(default, _pretrain_tasks())
    assert not np.array_equal(default, _pretrain_tasks(seed=8))
    # the other modes draw exactly what they drew before 'initial' existed
    digests = {mode: hashlib.sha256(_pretrain_tasks(pretrain=mode).tobytes()).hexdigest()[:16]
               for mode in ("subspace", "uniform")}
    assert digests == {"subspace": "8e58e98d4d4782cb", "uniform": "d20e17a39b637095"}


def test_a_version_1_state_keeps_subspace_pretraining():
    """Before params_version 2 the default was 'subspace': a saved state of version 1
    (here without the pretrain field, as if it had relied on the default) resumes so."""
    old = make_teacher("goal-gan", BOX, random_state=7, pretrain="subspace", **TINY)
    state = json.loads(json.dumps(old.state_dict()))
    assert state["params_version"] == 2
    state["params_version"] = 1
    for name in ("pretrain", "initial_mean", "initial_std"):
        del state["params"][name]
    restored = make_teacher("goal-gan", BOX)
    restored.load_state_dict(state)
    assert restored.pretrain == "subspace"
    assert np.array_equal(restored.pending_fit.pretrain_tasks, old.pending_fit.pretrain_tasks)


def _config(**params) -> CurriculumConfig:
    # the initial Gaussian given as lists, as a client sends it over HTTP
    params = {"initial_mean": [0.2, 0.1], "initial_std": [0.1, 0.2], **params}
    return CurriculumConfig(name="gg", teacher="goal-gan", space=SPACE, seed=4,
                            teacher_params={"update_size": 8, **TINY, **params},
                            reward_bounds=(0.0, 1.0))


@pytest.mark.parametrize("fit_mode", ["sync", "defer"])
def test_replay_from_the_log_rebuilds_the_teacher_exactly(fit_mode):
    live = Curriculum(_config(), fit_mode=fit_mode)
    events = [live.created_event()]
    student = CoinStudent(1)
    for i in range(120):
        tasks = live.issue_tasks(2)
        events += tasks
        results = [ResultIn(t.task_id, student.episode(list(t.params.values())))
                   for t in reversed(tasks)]
        events += live.report(results).events
        if fit_mode == "defer" and live.teacher.pending_fit is not None and i % 5 == 0:
            events.append(live.install_fit(run_fit(live.teacher.pending_fit)))
    assert live.teacher.installed_fit_index >= 3
    lines = [json.dumps(event_to_json(e)) for e in events]
    fits = [line for line in lines if '"type": "fit"' in line]  # float32 weights: f4 only
    assert len(fits) >= 3 and all('"f4"' in f and '"f8"' not in f for f in fits)
    rebuilt = Curriculum.from_events(read_jsonl(lines))
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())
    assert [rebuilt.teacher.sample().task.tolist() for _ in range(30)] == [
        live.teacher.sample().task.tolist() for _ in range(30)]


@pytest.mark.parametrize(("params", "fragment"), [
    ({"goid_lb": 0.8, "goid_ub": 0.2}, "goid_lb must be <= goid_ub, got 0.8 > 0.2"),
    ({"generator_layers": (0,)}, r"generator_layers must be a list of 1 to 4 layer sizes"),
    ({"discriminator_layers": "64"}, "discriminator_layers must be a list"),
    ({"pretrain": "gaussian"},
     r"pretrain must be one of \['initial', 'subspace', 'uniform', 'none'\], got 'gaussian'"),
    ({"initial_mean": (0.1,)}, r"initial_mean must have 2 values \(x0, x1\), got 1"),
    ({"initial_mean": ("a", 0.1)}, r"initial_mean must be a list of numbers, got \('a', 0.1\)"),
    ({"initial_std": (0.1, float("nan"))}, "initial_std must be a list of finite numbers"),
    ({"initial_std": (0.1, 0.0)},
     r"initial_std must be a list of positive numbers, got \(0.1, 0.0\)"),
    ({"p_old": 1.5}, r"p_old must be a finite number in \[0.0, 1.0\], got 1.5"),
    ({"n_rollouts": 0}, "n_rollouts must be an integer in"),
    ({"learning_rate": 0.0}, r"learning_rate must be a finite number in \(0.0"),
])
def test_bad_hyperparameters_are_named(params, fragment):
    with pytest.raises(InvalidParameterError, match=fragment):
        make_teacher("goal-gan", SPACE, **params)
