"""Behaviour shared by every teacher: determinism, state round trips, bad input."""

import copy
import json
import math

import numpy as np
import pytest

from teacher import (
    TEACHERS,
    InvalidParameterError,
    InvalidReturnError,
    InvalidTaskError,
    StateMismatchError,
    TaskSpace,
    ToyStudent,
    make_teacher,
    run_fit,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})
FAST = {
    "adr": {"queue_len": 5},
    "alp-gmm": {"fit_rate": 40},
    "alp-gmm+": {"fit_rate": 40},
    "covar-gmm": {"fit_rate": 40},
    "riac": {"max_region_size": 30, "min_region_size": 5},
    "oracle": {"threshold": 0.3, "period": 10},
    "plr": {"buffer_size": 40},
    "random": {},
    # tiny networks and few iterations; every labelled task with a failure is positive,
    # so GAN fits happen (every 10 labels) and tasks both rollouts succeed on fill the pool
    "goal-gan": {"update_size": 10, "gan_iterations": 3, "pretrain_iterations": 5,
                 "generator_layers": (8,), "discriminator_layers": (8,), "batch_size": 8,
                 "goid_lb": 0.0, "goid_ub": 0.9, "success_threshold": 0.0},
    "setter-solver": {"update_frequency": 40, "setter_hidden_size": 4, "judge_hidden_sizes": (8,),
                      "sample_batch": 8},
    "spdl": {"update_frequency": 20, "update_offset": 40, "alpha_offset": 2},
}
ALL = sorted(TEACHERS)


def build(name: str, seed: int | None = 0, **extra):
    return make_teacher(name, SPACE, random_state=seed, **{**FAST[name], **extra})


def drive(t, student: ToyStudent, n: int) -> list[np.ndarray]:
    tasks = []
    for _ in range(n):
        task = t.sample_task()
        tasks.append(task)
        t.update(task, student.episode(task))
    return tasks


def test_every_registered_teacher_is_covered():
    assert set(FAST) == set(TEACHERS)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_tasks(name):
    a = drive(build(name), ToyStudent(random_state=0), 300)
    b = drive(build(name), ToyStudent(random_state=0), 300)
    assert np.array_equal(np.array(a), np.array(b))
    c = drive(build(name, seed=1), ToyStudent(random_state=0), 300)
    assert not np.array_equal(np.array(a), np.array(c))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("stop", [39, 40, 41, 157])
def test_state_dict_continues_identically(name, stop):
    """Stopping at any point (39/40/41 surround the first fit) and restoring into a
    fresh teacher continues with exactly the same tasks."""
    live, student = build(name), ToyStudent(random_state=0)
    drive(live, student, stop)
    state = json.loads(json.dumps(live.state_dict()))  # must survive JSON
    twin_student = copy.deepcopy(student)
    restored = make_teacher(name, SPACE)  # other params: the state carries them
    restored.load_state_dict(state)
    assert restored.get_params() == live.get_params()
    a = drive(live, student, 120)
    b = drive(restored, twin_student, 120)
    assert np.array_equal(np.array(a), np.array(b))
    assert restored.record_.origins == live.record_.origins
    assert len(restored.record_.fits) == len(live.record_.fits)


@pytest.mark.parametrize("name", ALL)
def test_a_state_dict_is_a_value_later_updates_leave_alone(name):
    """A host may serialise a state later (the server's snapshots): nothing in it may be
    a live object the teacher goes on changing (GoalGAN's pending rollouts once were, and
    a snapshot written a moment later replayed into an IndexError)."""
    t, student = build(name), ToyStudent(random_state=0)
    for stop in (41, 77, 133):
        drive(t, student, stop - t.n_updates_)
        state = t.state_dict()
        frozen = json.dumps(state)
        drive(t, student, 25)
        assert json.dumps(state) == frozen


@pytest.mark.parametrize("name", ALL)
def test_tasks_stay_in_the_box_and_origins_are_recorded(name):
    t = build(name)
    tasks = drive(t, ToyStudent(random_state=0), 200)
    arr = np.array(tasks)
    assert arr.shape == (200, 2)
    assert (arr >= 0).all() and (arr <= 1).all()
    assert len(t.record_.origins) == 200 and len(t.record_.alps) == 200
    prefixes = {o.split(":")[0] for o in t.record_.origins}
    allowed = {"bootstrap", "random", "gaussian", "region", "mutation", "oracle", "box",
               "boundary", "gan", "repeat", "replay", "new", "setter"}
    assert prefixes <= allowed


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "task, ret, error, fragment",
    [
        ([0.5], 0.1, InvalidTaskError, "has 1 values"),
        ([0.5, 1.5], 0.1, InvalidTaskError, r"x1 must be in \[0.0, 1.0\], got 1.5"),
        ([0.5, math.inf], 0.1, InvalidTaskError, "x1 must be a finite number"),
        ([0.5, 0.5], math.nan, InvalidReturnError, "episode_return must be a finite number"),
        ([0.5, 0.5], "1", InvalidReturnError, "got '1'"),
    ],
)
def test_bad_input_is_rejected_and_changes_nothing(name, task, ret, error, fragment):
    t = build(name)
    drive(t, ToyStudent(random_state=0), 60)
    before = json.dumps(t.state_dict())
    with pytest.raises(error, match=fragment):
        t.update(task, ret)
    assert json.dumps(t.state_dict()) == before


@pytest.mark.parametrize("name", ALL)
def test_described_state_is_json_and_names_its_shape(name):
    t = build(name)
    drive(t, ToyStudent(random_state=0), 200)
    state = json.loads(json.dumps(t.describe_state()))
    assert state["updates"] == 200 and state["sampled"] == 200
    expected = {"riac": "regions", "oracle": "window", "adr": "box", "plr": "levels",
                "spdl": "gaussian"}.get(name, "counts")
    assert state["kind"] == expected
    if expected == "regions":
        assert len(state["regions"]) > 1  # 200 pairs split a 30-pair region
        for r in state["regions"]:
            assert np.all(np.array(r["low"]) < np.array(r["high"])) and r["pairs"] >= 0
    if expected == "box":
        assert np.all(np.array(state["low"]) <= np.array(state["high"]))
        assert state["expansions"] >= 1  # queues of 5 on the toy student: the box grew
    if expected == "window":
        width = np.array(state["high"]) - np.array(state["low"])
        np.testing.assert_allclose(width, SPACE.width * t.window_ratio)
    if expected == "levels":
        assert state["size"] == len(state["levels"]) == 40
        scores = [lv["score"] for lv in state["levels"]]
        assert scores == sorted(scores, reverse=True)
        assert sum(lv["p"] for lv in state["levels"]) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ALL)
def test_update_accepts_tasks_the_teacher_did_not_issue(name):
    t = build(name)
    rng = np.random.default_rng(0)
    for _ in range(100):
        t.update(rng.random(2), float(rng.random()))
    assert t.n_updates_ == 100 and t.n_sampled_ == 0
    t.update({"x0": 0.2, "x1": 0.3}, 0.5)


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("alp-gmm", {"fit_rate": 0}, "fit_rate must be an integer in"),
        ("alp-gmm", {"random_task_ratio": 1.5}, "random_task_ratio must be a finite number in"),
        ("alp-gmm", {"k_range": (5, 2)}, "k_range must be a pair"),
        ("alp-gmm", {"criterion": "xic"}, "criterion must be one of"),
        ("alp-gmm", {"alp_history": 0}, "alp_history"),
        ("alp-gmm", {"alp_ties": "random"}, "alp_ties must be one of"),
        ("alp-gmm", {"reward_bounds": (1, 0)}, "reward_bounds must be a pair"),
        ("alp-gmm", {"random_state": -1}, "random_state must be None or a non-negative"),
        ("covar-gmm", {"n_init": 0}, "n_init"),
        ("riac", {"max_region_size": 2}, "max_region_size"),
        ("riac", {"random_task_ratio": 0.95}, "random_task_ratio \\+ mutation_ratio"),
        ("oracle", {"start": (0.0,)}, "start must have 2 values"),
        ("oracle", {"threshold": math.nan}, "threshold must be a finite number"),
        ("adr", {"step_size": 0.0}, r"step_size must be a finite number in \(0.0, 1.0\]"),
        ("adr", {"queue_len": 0}, "queue_len must be an integer"),
        ("adr", {"boundary_sampling_p": -0.1}, "boundary_sampling_p must be a finite number"),
        ("adr", {"upper_threshold": math.inf}, "upper_threshold must be a finite number"),
        ("adr", {"lower_threshold": 0.7}, "lower_threshold must be below upper_threshold"),
        ("adr", {"initial_task": (0.1,)}, "initial_task has 1 values, the space has 2"),
        ("adr", {"initial_task": (0.1, 2.0)}, r"initial_task: x1 must be in \[0.0, 1.0\]"),
        ("adr", {"initial_task": "low"}, "initial_task must be a list of numbers"),
        ("plr", {"beta": 0.0}, r"beta must be a finite number in \(0.0, inf\]"),
        ("plr", {"buffer_size": 0}, "buffer_size must be an integer in"),
        ("plr", {"replay_prob": 1.5}, "replay_prob must be a finite number in"),
        ("plr", {"staleness_coef": -0.1}, "staleness_coef must be a finite number in"),
        ("plr", {"buffer_priority": "age"}, "buffer_priority must be one of"),
        ("setter-solver", {"update_frequency": 0}, "update_frequency must be an integer in"),
        ("setter-solver", {"judge_hidden_sizes": (0,)}, "judge_hidden_sizes must be a list"),
        ("setter-solver", {"learning_rate": 0.0}, r"learning_rate must be a finite number in \("),
        ("setter-solver", {"fit_float32": 1}, "fit_float32 must be true or false, got 1"),
        ("setter-solver", {"setter_start": "normal"},
         r"setter_start must be one of \['uniform', 'reference'\], got 'normal'"),
    ],
)
def test_invalid_hyperparameters_name_the_parameter(name, params, fragment):
    with pytest.raises(InvalidParameterError, match=fragment):
        make_teacher(name, SPACE, **params)


def test_unknown_teacher_and_hyperparameter_list_the_valid_ones():
    valid = r"one of \['adr', 'alp-gmm', 'alp-gmm\+', 'covar-gmm'"
    with pytest.raises(InvalidParameterError, match=valid):
        make_teacher("alp", SPACE)
    with pytest.raises(InvalidParameterError, match="unknown hyper-parameter 'fitrate'.*fit_rate"):
        make_teacher("alp-gmm", SPACE, fitrate=10)


@pytest.mark.parametrize("name", ALL)
def test_state_from_another_configuration_is_rejected(name):
    t = build(name)
    drive(t, ToyStudent(random_state=0), 50)
    state = t.state_dict()
    other_space = make_teacher(name, TaskSpace({"x0": (0.0, 1.0), "y": (0.0, 1.0)}))
    with pytest.raises(StateMismatchError, match="space"):
        other_space.load_state_dict(state)
    other_kind = make_teacher("random" if name != "random" else "riac", SPACE)
    with pytest.raises(StateMismatchError, match="teacher"):
        other_kind.load_state_dict(state)
    fresh = build(name, seed=5)
    before = json.dumps(fresh.state_dict())
    with pytest.raises(StateMismatchError, match="format_version"):
        fresh.load_state_dict({**state, "format_version": 99})
    broken = {**state, "state": {}}
    if name != "random":
        with pytest.raises(StateMismatchError, match="malformed"):
            fresh.load_state_dict(broken)
    assert json.dumps(fresh.state_dict()) == before


def test_reward_bounds_normalise_returns():
    t = make_teacher("alp-gmm", SPACE, reward_bounds=(-150, 350))
    assert t.normalise_return(-150) == 0.0
    assert t.normalise_return(100) == 0.5
    assert t.normalise_return(1000) == 1.0
    assert make_teacher("random", SPACE).normalise_return(42.0) == 42.0


@pytest.mark.parametrize("name", ["alp-gmm", "covar-gmm"])
def test_fit_is_a_separable_step(name):
    """A fit computed later (or elsewhere) equals the synchronous one: its seed comes
    from (random_state, fit number), not from the sampling stream."""
    sync, deferred = build(name), build(name)
    rng = np.random.default_rng(0)
    data = [(rng.random(2), float(rng.random())) for _ in range(80)]
    for task, r in data[:40]:
        sync.update(task, r)
        deferred.observe(task, r)
    request = deferred.pending_fit
    assert request is not None and request.fit_index == 1 and request.episode == 40
    assert not request.data.flags.writeable
    assert sync.pending_fit is None and sync.fits_installed_ == 1
    # Sampling in between does not change the fit.
    for _ in range(7):
        deferred.sample_task()
    result = run_fit(request)
    deferred.install_fit(result)
    assert np.array_equal(result.means, sync.fit_.means)
    assert deferred.record_.fits[0].episode == 40
    with pytest.raises(StateMismatchError, match="fit_index must be greater"):
        deferred.install_fit(result)


@pytest.mark.parametrize("name", ["alp-gmm", "covar-gmm"])
def test_scikit_learn_backend_fits_and_is_deterministic(name):
    a = drive(build(name, gmm_backend="sklearn"), ToyStudent(random_state=0), 90)
    b = drive(build(name, gmm_backend="sklearn"), ToyStudent(random_state=0), 90)
    assert np.array_equal(np.array(a), np.array(b))
    t = build(name, gmm_backend="sklearn")
    drive(t, ToyStudent(random_state=0), 90)
    assert t.fits_installed_ == 2


def test_fits_that_fall_behind_are_coalesced():
    t = build("alp-gmm")
    rng = np.random.default_rng(0)
    for _ in range(120):
        t.observe(rng.random(2), float(rng.random()))
    assert t.pending_fit.fit_index == 3 and t.fits_coalesced_ == 2
    t.install_fit(run_fit(t.pending_fit))
    assert t.pending_fit is None and t.fits_installed_ == 1
    assert t.record_.fits[0].fit_index == 3


def test_alp_is_distance_to_nearest_previous_task():
    t = make_teacher("alp-gmm", SPACE, random_state=0)
    pts = [([0.1, 0.1], 0.0), ([0.9, 0.9], 1.0), ([0.1, 0.9], 0.2), ([0.9, 0.1], 0.4),
           ([0.5, 0.5], 0.5), ([0.2, 0.2], 0.3)]
    for task, r in pts:
        assert t.update(task, r) == 0.0  # five or fewer pairs stored: ALP is 0
    assert t.update([0.12, 0.1], 0.7) == pytest.approx(0.7)  # nearest is (0.1, 0.1) -> 0.0
    assert t.update([0.88, 0.9], 0.25) == pytest.approx(0.75)


@pytest.mark.parametrize("name", ["alp-gmm", "alp-gmm+"])
def test_a_repeated_task_is_compared_with_its_latest_return(name):
    """Repeats of one task (the box corners after clipping) take ALP against the task's
    latest return, so a mastered corner stops looking like progress; ``alp_ties=
    "earliest"`` compares with its first return forever (the spec's literal tie rule)."""
    corner = [0.0, 0.0]
    alps = {}
    for ties in ("latest", "earliest"):
        t = make_teacher(name, SPACE, random_state=0, alp_ties=ties)
        for i in range(6):
            t.update([0.5, 0.1 * i], 0.5)
        alps[ties] = [t.update(corner, r) for r in (0.1, 0.5, 0.9, 0.9, 0.9)]
    assert alps["latest"] == pytest.approx([0.4, 0.4, 0.4, 0.0, 0.0])
    assert alps["earliest"] == pytest.approx([0.4, 0.4, 0.8, 0.8, 0.8])


def test_a_state_saved_before_the_tie_rule_continues_with_earliest_ties():
    t = make_teacher("alp-gmm", SPACE, random_state=3, fit_rate=20, alp_ties="earliest")
    student = ToyStudent(random_state=3)
    for _ in range(70):
        task = t.sample_task()
        t.update(task, student.episode(task))
    state = json.loads(json.dumps(t.state_dict()))
    del state["params"]["alp_ties"]  # as saved before the rule was a hyper-parameter
    del state["params_version"]  # and before versions existed
    clone = make_teacher("alp-gmm", SPACE)
    clone.load_state_dict(state)
    assert clone.alp_ties == "earliest"
    for _ in range(60):
        task = t.sample_task()
        assert np.array_equal(task, clone.sample_task())
        ret = student.episode(task)
        assert t.update(task, ret) == clone.update(task, ret)


def test_alp_gmm_samples_from_high_alp_gaussians():
    """After fitting, the Gaussians' ALP coordinates steer sampling."""
    t = make_teacher("alp-gmm", SPACE, random_state=0, fit_rate=200, random_task_ratio=0.0)
    rng = np.random.default_rng(0)
    for _ in range(400):
        task = rng.random(2)
        t.update(task, float(rng.random()) if task[0] < 0.3 else 0.5)  # noise = ALP on the left
    samples = np.array([t.sample_task() for _ in range(300)])
    assert (samples[:, 0] < 0.4).mean() > 0.7
    assert all(o.startswith("gaussian:") for o in t.record_.origins[-300:])


def test_alp_history_cap_uses_only_recent_pairs():
    t = make_teacher("alp-gmm", SPACE, random_state=0, alp_history=10)
    for i in range(20):
        t.update([0.0 + i * 0.01, 0.0], 0.0 if i < 10 else 1.0)
    # The old pair at (0, 0) is forgotten: the nearest kept pair has return 1.
    assert t.update([0.0, 0.0], 1.0) == 0.0
    state = json.loads(json.dumps(t.state_dict()))
    again = make_teacher("alp-gmm", SPACE)
    again.load_state_dict(state)
    assert again.update([0.0, 0.0], 0.0) == t.update([0.0, 0.0], 0.0)


def test_oracle_moves_its_window_when_mastered():
    t = make_teacher("oracle", SPACE, start=(0.0, 1.0), step=(0.1, -0.2), period=10,
                     threshold=0.5, random_state=0)
    assert t.window_low_.tolist() == pytest.approx([0.0, 1.0 - 1 / 6])
    for _ in range(10):
        t.update(t.sample_task(), 0.4)
    assert t.window_low_.tolist() == pytest.approx([0.0, 1.0 - 1 / 6])
    for _ in range(10):
        task = t.sample_task()
        assert 0 <= task[0] <= 1 / 6 + 1e-12
        t.update(task, 0.9)
    assert t.window_low_.tolist() == pytest.approx([0.1, 1.0 - 1 / 6 - 0.2])


def test_riac_splits_where_progress_differs():
    t = make_teacher("riac", SPACE, random_state=0, max_region_size=60, min_region_size=5)
    rng = np.random.default_rng(0)
    for i in range(300):
        task = rng.random(2)
        t.update(task, i / 300 if task[0] < 0.5 else 0.0)
    assert len(t.regions_) >= 3
    leaves = [r for r in t.regions_ if r.split is None]
    assert all(len(r.returns) <= 60 for r in leaves)
