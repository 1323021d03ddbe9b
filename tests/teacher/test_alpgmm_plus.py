"""ALP-GMM+: determinism, exact save/restore, parameter validation, a toy-student run."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from teacher import ALPGMM, InvalidParameterError, ToyStudent, run_fit
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
    ],
)
def test_bad_hyper_parameter_names_itself(name: str, value: object) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        ALPGMMPlus(ToyStudent().space, **{name: value})


def test_samples_what_alp_gmm_with_the_same_window_samples() -> None:
    """ALP-GMM+ is ALP-GMM with a recency window (and other defaults), not a new rule."""
    space = ToyStudent(distractors=1).space
    plus = ALPGMMPlus(space, random_state=5, alp_history=40, random_task_ratio=0.3)
    paper = ALPGMM(space, random_state=5, alp_history=40, random_task_ratio=0.3)
    a = _run(plus, ToyStudent(distractors=1, noise=0.02, random_state=5), 1300)
    b = _run(paper, ToyStudent(distractors=1, noise=0.02, random_state=5), 1300)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert plus.record_.alps == paper.record_.alps


def test_memory_stays_bounded() -> None:
    student = ToyStudent(random_state=2)
    teacher = ALPGMMPlus(student.space, random_state=2, fit_rate=50, alp_history=30)
    _run(teacher, student, 1000)
    assert len(teacher._returns) < 4 * 50
    assert teacher.state_dict()["state"]["returns"]["shape"] == [50]


def test_learns_on_the_toy_student() -> None:
    student = ToyStudent(random_state=0)
    _run(ALPGMMPlus(student.space, random_state=0), student, 3000)
    assert student.score() > 0
