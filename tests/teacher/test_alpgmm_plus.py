"""ALP-GMM+: determinism, exact save/restore, parameter validation, a toy-student run."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from teacher import ALPGMM, FitResult, InvalidParameterError, TaskSpace, ToyStudent, run_fit
from teacher._regions import RegionTree
from teacher.alpgmm_plus import ALPGMMPlus


def _run(teacher: ALPGMMPlus, student: ToyStudent, n: int) -> list[np.ndarray]:
    tasks = []
    for _ in range(n):
        task = teacher.sample_task()
        teacher.update(task, student.episode(task))
        tasks.append(task)
    return tasks


def test_name_and_defaults_are_stored_as_given() -> None:
    t = ALPGMMPlus(ToyStudent().space, random_state=0)
    assert t.name == "alp-gmm+"
    params = t.get_params()
    assert set(params) == set(ALPGMMPlus.param_names())
    assert params["random_state"] == 0


def test_same_seed_gives_same_tasks() -> None:
    a = _run(ALPGMMPlus(ToyStudent().space, random_state=3), ToyStudent(random_state=3), 700)
    b = _run(ALPGMMPlus(ToyStudent().space, random_state=3), ToyStudent(random_state=3), 700)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = _run(ALPGMMPlus(ToyStudent().space, random_state=4), ToyStudent(random_state=3), 50)
    assert not all(np.array_equal(x, y) for x, y in zip(a[:50], c, strict=True))


@pytest.mark.parametrize("stop", [249, 250, 620, 1010])  # around a fit, after a trim
def test_state_dict_round_trip_continues_identically(stop: int) -> None:
    space = ToyStudent().space
    student = ToyStudent(random_state=1, noise=0.05)
    teacher = ALPGMMPlus(space, random_state=1)
    _run(teacher, student, stop)
    state = json.loads(json.dumps(teacher.state_dict()))  # through JSON, as it is stored
    clone = ALPGMMPlus(space, random_state=99, fit_rate=100)
    clone.load_state_dict(state)
    assert clone.get_params() == teacher.get_params()
    assert clone.fits_installed_ == teacher.fits_installed_
    twin = copy.deepcopy(student)
    a = _run(teacher, student, 600)
    b = _run(clone, twin, 600)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert teacher.record_.alps == clone.record_.alps
    assert teacher.state_dict() == clone.state_dict()


def test_state_dict_with_a_pending_fit_continues_identically() -> None:
    space = ToyStudent().space
    student = ToyStudent(random_state=6, noise=0.05)
    teacher = ALPGMMPlus(space, random_state=6)
    _run(teacher, student, 400)
    for _ in range(100):  # observe() leaves the fit due at update 500 pending
        task = teacher.sample_task()
        teacher.observe(task, student.episode(task))
    request = teacher.pending_fit
    assert request is not None
    clone = ALPGMMPlus(space)
    clone.load_state_dict(json.loads(json.dumps(teacher.state_dict())))
    assert clone.pending_fit is not None
    assert np.array_equal(clone.pending_fit.data, request.data)
    teacher.install_fit(run_fit(request))
    clone.install_fit(run_fit(clone.pending_fit))
    twin = copy.deepcopy(student)
    a, b = _run(teacher, student, 300), _run(clone, twin, 300)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("alp_history", 0),
        ("alp_history", 5),
        ("alp_history", None),
        ("alp_history", 2.5),
        ("fit_rate", 1),
        ("random_task_ratio", 1.5),
        ("criterion", "mdl"),
        ("region_veto", -0.1),
        ("region_veto", float("nan")),
        ("veto_tries", 0),
        ("region_ratio", -0.1),
        ("region_ratio", 1.5),
    ],
)
def test_bad_hyper_parameter_names_itself(name: str, value: object) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        ALPGMMPlus(ToyStudent().space, **{name: value})


@pytest.mark.parametrize("ties", ["latest", "earliest"])
def test_without_its_regions_samples_what_alp_gmm_with_the_same_window_samples(ties: str) -> None:
    """Without the region veto and region tasks, ALP-GMM+ is ALP-GMM with a recency window,
    not a new rule."""
    space = ToyStudent().space
    plus = ALPGMMPlus(space, random_state=5, alp_history=40, random_task_ratio=0.3,
                      region_veto=0.0, region_ratio=0.0, alp_ties=ties)
    paper = ALPGMM(space, random_state=5, alp_history=40, random_task_ratio=0.3, alp_ties=ties)
    runs = []
    for teacher in (plus, paper):
        student, tasks = ToyStudent(noise=0.02, random_state=5), []
        for i in range(1300):
            tasks.append(teacher.sample_task())
            teacher.update(tasks[-1], student.episode(tasks[-1]))
            if i % 7 == 0:  # repeats of one task, where the tie rule matters
                teacher.update(np.zeros(2), student.episode(np.zeros(2)))
        runs.append(tasks)
    assert all(np.array_equal(x, y) for x, y in zip(*runs, strict=True))
    assert plus.record_.alps == paper.record_.alps


def _two_component_fit(fit_index: int, scores: tuple[float, float] = (0.2, 0.2)) -> FitResult:
    """Two Gaussians over [x, y, ALP]: one left, one right, equally interesting unless
    told otherwise."""
    cov = np.diag([0.01, 0.01, 0.01])
    return FitResult(
        fit_index=fit_index, seed=0, weights=np.array([0.5, 0.5]),
        means=np.array([[0.25, 0.5, scores[0]], [0.75, 0.5, scores[1]]]),
        covariances=np.array([cov, cov]), scores=np.array(scores),
        criterion="aic", criterion_value=0.0,
    )


def _left_progress(teacher: ALPGMMPlus) -> None:
    """600 uniform tasks whose returns rise on the left half and stay flat on the right."""
    rng = np.random.default_rng(0)
    for i in range(600):
        task = rng.random(2)
        teacher.update(task, i / 600 if task[0] < 0.5 else 0.3)


@pytest.mark.parametrize("veto", [0.0, 0.5])
def test_region_veto_turns_sampling_away_from_regions_without_progress(veto: float) -> None:
    """Returns rise on the left half and stay flat on the right: the right half's regions
    have no ALP, so the veto sends almost every Gaussian task to the left."""
    space = TaskSpace({"x": (0.0, 1.0), "y": (0.0, 1.0)})
    teacher = ALPGMMPlus(space, random_state=0, random_task_ratio=0.0, region_veto=veto,
                         region_ratio=0.0)
    _left_progress(teacher)
    teacher.install_fit(_two_component_fit(teacher.fits_installed_ + 100))
    right = np.mean([teacher.sample_task()[0] > 0.5 for _ in range(2000)])
    if veto:
        assert right < 0.15  # rejected up to 4 times: about 0.5^5 ~ 3% get through
    else:
        assert 0.45 < right < 0.55


@pytest.mark.parametrize(
    ("scores", "ratio", "share"),
    [((0.2, 0.2), 1.0, 1.0), ((0.2, 0.2), 0.5, 0.5), ((0.2, 0.1), 0.5, 0.25),
     ((0.0, 0.0), 0.5, 0.5), ((0.2, 0.0), 0.5, 0.0), ((0.2, 0.2), 0.0, 0.0)],
)
def test_region_tasks_take_over_while_the_components_look_alike(
    scores: tuple[float, float], ratio: float, share: float
) -> None:
    """A share region_ratio x (lowest / highest component ALP) of the tasks comes from the
    regions, chosen by their ALP: here the left half, where the returns rise."""
    space = TaskSpace({"x": (0.0, 1.0), "y": (0.0, 1.0)})
    teacher = ALPGMMPlus(space, random_state=0, random_task_ratio=0.0, region_veto=0.0,
                         region_ratio=ratio)
    for _ in range(20):  # no region task before the first fit
        teacher.sample_task()
    assert teacher.record_.origins == ["bootstrap"] * 20
    _left_progress(teacher)
    teacher.install_fit(_two_component_fit(teacher.fits_installed_ + 100, scores))
    tasks = [teacher.sample_task() for _ in range(2000)]
    origins = teacher.record_.origins[20:]
    region = [t for t, o in zip(tasks, origins, strict=True) if o.startswith("region:")]
    assert len(region) / 2000 == pytest.approx(share, abs=0.04)
    assert all(o.startswith(("region:", "gaussian:")) for o in origins)
    if region:
        tree = teacher._tree
        assert tree is not None
        for task, origin in zip(tasks, origins, strict=True):
            if origin.startswith("region:"):  # inside the leaf it names
                assert tree.leaf_of(task) == int(origin.split(":")[1])
        assert np.mean([t[0] < 0.5 for t in region]) > 0.9


def test_memory_stays_bounded() -> None:
    student = ToyStudent(random_state=2)
    teacher = ALPGMMPlus(student.space, random_state=2, fit_rate=50, alp_history=30)
    _run(teacher, student, 1000)
    assert len(teacher._history) < 4 * 50
    assert teacher.state_dict()["state"]["returns"]["shape"] == [50]


def test_learns_on_the_toy_student() -> None:
    student = ToyStudent(random_state=0)
    _run(ALPGMMPlus(student.space, random_state=0), student, 3000)
    assert student.score() > 0


def test_region_tree_of_the_veto_stays_bounded_and_keeps_its_alp_sum() -> None:
    space = TaskSpace({"x": (0.0, 1.0), "y": (0.0, 1.0)})
    tree = RegionTree(space, max_region_size=20, min_region_size=5, n_split_trials=50,
                      min_dims_range_ratio=1 / 15, split_score="alp_diff", max_leaves=4)
    rng = np.random.default_rng(0)
    for i in range(2000):
        task = rng.random(2)
        tree.add(task, (i % 97) / 97 * task[0], rng)
        assert len(tree.leaves) <= 4
    assert len(tree.leaves) == 4
    assert sum(len(tree.regions[j].returns) for j in tree.leaves) <= 4 * 20
    assert tree.alp_sum == pytest.approx(float(tree.leaf_alps().sum()), abs=1e-9)
    clone = RegionTree(space, max_region_size=20, min_region_size=5, n_split_trials=50,
                       min_dims_range_ratio=1 / 15, split_score="alp_diff", max_leaves=4)
    clone.load_json(json.loads(json.dumps(tree.to_json())))
    assert clone.alp_sum == tree.alp_sum
    assert clone.to_json() == tree.to_json()


def test_a_state_saved_before_the_region_veto_continues_without_it() -> None:
    """A state from before the veto, the region tasks and the tie rule: it ran without
    regions and with earliest-on-ties neighbours, and continues so."""
    space = ToyStudent().space
    student = ToyStudent(random_state=4, noise=0.05)
    teacher = ALPGMMPlus(space, random_state=4, region_veto=0.0, region_ratio=0.0,
                         alp_ties="earliest")
    _run(teacher, student, 600)
    state = json.loads(json.dumps(teacher.state_dict()))
    del state["params"]["region_veto"], state["params"]["veto_tries"], state["state"]["regions"]
    del state["params"]["alp_ties"], state["params"]["region_ratio"]
    del state["params_version"]  # saved before versions existed
    clone = ALPGMMPlus(space)
    clone.load_state_dict(state)
    assert (clone.region_veto, clone.region_ratio, clone.alp_ties) == (0.0, 0.0, "earliest")
    twin = copy.deepcopy(student)
    a, b = _run(teacher, student, 300), _run(clone, twin, 300)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_state_saved_before_the_region_tasks_continues_without_them() -> None:
    space = ToyStudent().space
    student = ToyStudent(random_state=7, noise=0.05)
    teacher = ALPGMMPlus(space, random_state=7, region_ratio=0.0)
    _run(teacher, student, 700)
    state = json.loads(json.dumps(teacher.state_dict()))
    del state["params"]["region_ratio"], state["params_version"]  # saved before versions
    clone = ALPGMMPlus(space)
    clone.load_state_dict(state)
    assert (clone.region_veto, clone.region_ratio) == (0.5, 0.0)
    twin = copy.deepcopy(student)
    a, b = _run(teacher, student, 500), _run(clone, twin, 500)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
