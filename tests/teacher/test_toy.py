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


# -- TeachMyAgent-style variants (issue 17) -------------------------------------------


def _golden_run(**kw):
    """4,000 tasks drawn uniformly in [0, 0.35]^d (no teacher involved): a digest of the
    returns and final competences, and the score."""
    import hashlib

    s = ToyStudent(random_state=7, **kw)
    rng = np.random.default_rng(11)
    rets = [s.episode(rng.uniform(0, 0.35, size=s.space.dim)) for _ in range(4000)]
    digest = hashlib.sha256(np.asarray(rets).tobytes() + s.competence.tobytes())
    return digest.hexdigest()[:16], s.score()


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, ("e038cf039567ecf3", 9.0)),
    ({"unlearnable": 0.2, "noise": 0.05, "distractors": 1}, ("15278484f75d7d37", 6.25)),
    ({"dims": 3, "grid": 6, "gain": 2.0}, ("2e91c94c8629d1ee", 6.018518518518518)),
    # The new parameters at their defaults change nothing.
    ({"forgetting": 0.0, "trivial": 0.0, "unfeasible": 0.0}, ("e038cf039567ecf3", 9.0)),
])
def test_default_students_are_unchanged_bit_for_bit(kw, expected):
    # Digests recorded with the student before the forgetting/trivial/unfeasible options.
    assert _golden_run(**kw) == expected


def test_forgetting_decays_cells_not_practised_and_the_frontier_recedes():
    s = ToyStudent(forgetting=0.5)
    for _ in range(100):
        s.episode([0.05, 0.05])
    assert s.competence[0, 0] == 100 and s.score() == 1.0
    assert s.episode([0.15, 0.05]) == pytest.approx(0.01)  # unlocked by (0, 0)
    for _ in range(51):  # (0, 0) loses 0.5 per episode spent elsewhere, floor 0
        s.episode([0.95, 0.95])
    assert s.competence[0, 0] == pytest.approx(74.0)
    assert s.competence[1, 0] == 0.0
    assert s.score() == 0.0
    # (1, 0) is no longer learnable: its only mastered neighbour was forgotten.
    assert s.episode([0.15, 0.05]) == 0.0
    # Practising a cell does not decay it in the same episode.
    before = s.competence[0, 0]
    s.episode([0.05, 0.05])
    assert s.competence[0, 0] == before + 1


def test_trivial_share_is_mastered_from_the_start_and_not_scored():
    s = ToyStudent(trivial=0.8)
    assert s.columns_ == (40, 10, 0) and s.competence.shape == (50, 10)
    assert s.cell([0.5, 0.5]) == (25, 5)
    assert s.episode([0.5, 0.5]) == 1.0 and s.episode([0.0, 0.99]) == 1.0
    assert s.score() == 0.0
    # The paper's grid lives in x0 in [0.8, 1]: only its start cell is learnable, the
    # trivial columns beside it unlock nothing.
    assert s.episode([0.81, 0.15]) == 0.0
    for _ in range(76):
        assert s.episode([0.81, 0.05]) > 0.0
    assert s.score() == 1.0
    assert s.episode([0.83, 0.15]) == pytest.approx(0.01)  # grid cell (1, 1)


def test_unfeasible_share_never_improves_and_is_not_scored():
    s = ToyStudent(unfeasible=0.5, noise=0.0)
    assert s.columns_ == (0, 10, 10) and s.blocked[10:].all() and not s.blocked[:10].any()
    for _ in range(80):
        s.episode([0.02, 0.05])
    assert s.score() == 1.0
    assert s.episode([0.52, 0.05]) == 0.0  # right of a mastered cell, but unfeasible
    both = ToyStudent(trivial=0.25, unfeasible=0.25, unlearnable=0.2, random_state=1)
    assert both.columns_ == (5, 10, 5)
    assert both.blocked[5:15].sum() == 20 and not both.blocked[5, 0]
    assert not both.blocked[:5].any() and both.blocked[15:].all()


@pytest.mark.parametrize(("kw", "field"), [
    ({"forgetting": -0.1}, "forgetting"),
    ({"forgetting": float("nan")}, "forgetting"),
    ({"forgetting": "0.1"}, "forgetting"),
    ({"trivial": 1.0}, "trivial"),
    ({"trivial": -0.2}, "trivial"),
    ({"trivial": True}, "trivial"),
    ({"unfeasible": float("inf")}, "unfeasible"),
    ({"trivial": 0.5, "unfeasible": 0.5}, "trivial \\+ unfeasible"),
])
def test_bad_variant_parameters_name_the_field(kw, field):
    with pytest.raises(InvalidParameterError, match=field) as info:
        ToyStudent(**kw)
    assert repr(next(iter(kw.values()))) in str(info.value)
