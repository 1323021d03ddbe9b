import numpy as np
import pytest

from teacher import InvalidParameterError, ToyStudent


def test_only_the_start_cell_is_learnable_at_first():
    s = ToyStudent()
    assert s.episode([0.55, 0.55]) == 0.0
    assert s.episode([0.05, 0.05]) == pytest.approx(0.01)
    for _ in range(80):
        s.episode([0.05, 0.05])
    assert s.competence[0, 0] == 81
    # Right, up and diagonal neighbours of a mastered cell become learnable.
    assert s.episode([0.15, 0.05]) == pytest.approx(0.01)
    assert s.episode([0.15, 0.15]) == pytest.approx(0.01)
    assert s.episode([0.25, 0.05]) == 0.0
    assert s.score() == 1.0


def test_competence_caps_at_100_and_is_never_forgotten():
    s = ToyStudent()
    for _ in range(150):
        s.episode([0.0, 0.0])
    assert s.competence[0, 0] == 100
    for _ in range(50):
        s.episode([0.9, 0.9])
    assert s.competence[0, 0] == 100


def test_variants():
    s = ToyStudent(grid=20, distractors=2, unlearnable=0.2, noise=0.05, random_state=0)
    assert s.space.dim == 4
    assert s.blocked.sum() == 80 and not s.blocked[0, 0]
    rets = [s.episode([0.9, 0.9, 0.1, 0.2]) for _ in range(200)]
    assert 0.0 < np.std(rets) < 0.1
    with pytest.raises(InvalidParameterError, match="grid"):
        ToyStudent(grid=0)
    with pytest.raises(InvalidParameterError, match="unlearnable"):
        ToyStudent(unlearnable=1.0)
