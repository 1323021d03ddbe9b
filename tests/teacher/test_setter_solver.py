"""Setter-Solver: its networks, its separable fit step, its book-keeping."""

import json
import pickle

import numpy as np
import pytest

from teacher import StateMismatchError, TaskSpace, make_teacher, run_fit
from teacher._fit import ArrayFit
from teacher._nn import exact_log
from teacher._rnvp import (
    MIN_SCALE,
    NUMPY_OPS,
    SCALE_ONE,
    SetterShape,
    exact_atan,
    identity_start,
    init_weights,
    judge_logits,
    judge_shapes,
    nice_softplus,
    setter_forward,
    setter_inverse,
    setter_shapes,
)
from tests.teacher.test_nn import _run_without_torch

torch = pytest.importorskip("torch")

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (-2.0, 2.0)})
SMALL = {"update_frequency": 20, "setter_hidden_size": 4, "judge_hidden_sizes": (8,),
         "sample_batch": 8}


def build(seed: int = 0, **extra):
    return make_teacher("setter-solver", SPACE, random_state=seed, **{**SMALL, **extra})


def _torch_ops():
    from teacher._setter_fit import _torch_ops

    return _torch_ops(torch)


@pytest.mark.parametrize("base", ["normal", "logistic"])
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_numpy_sampling_is_the_torch_forward_and_the_flow_inverts(dim, base):
    shape = SetterShape(dim, hidden=6, blocks=2, layers=2, base=base)
    w = init_weights({**setter_shapes(shape), **judge_shapes(dim, (5,))},
                     np.random.default_rng(dim))
    rng = np.random.default_rng(1)
    z, c = 1.5 * rng.standard_normal((7, dim)), rng.uniform(0, 1, (7, 1))
    goals, _ = setter_forward(w, z, c, shape, NUMPY_OPS)
    tw = {k: torch.tensor(a) for k, a in w.items()}
    ops = _torch_ops()
    t_goals, t_lp = setter_forward(tw, torch.tensor(z), torch.tensor(c), shape, ops, log_p=True)
    np.testing.assert_allclose(goals, t_goals.numpy(), rtol=1e-12, atol=1e-14)
    assert ((goals > 0) & (goals < 1)).all()
    back, lp = setter_inverse(tw, t_goals, torch.tensor(c), shape, ops)
    np.testing.assert_allclose(back.numpy(), z, atol=1e-8)
    np.testing.assert_allclose(lp.numpy(), t_lp.numpy(), atol=1e-7)
    # Each row depends on that row alone (a batch of tasks equals one at a time).
    one, _ = setter_forward(w, z[3:4], c[3:4], shape, NUMPY_OPS)
    assert np.array_equal(one, goals[3:4])
    # The judge runs in numpy too (for what a host may show of it).
    np.testing.assert_allclose(judge_logits(w, goals, 2, NUMPY_OPS),
                               judge_logits(tw, torch.tensor(goals), 2, ops).numpy(), rtol=1e-12)


def test_an_identity_start_on_a_logistic_base_is_uniform():
    """setter_start="uniform": each coupling starts as the identity, so the goal is
    sigmoid(logit(u)) = u and the log-density is 0 (uniform) in numpy and torch."""
    assert MIN_SCALE + nice_softplus(np.array([SCALE_ONE]), NUMPY_OPS)[0] == 1.0
    shape = SetterShape(2, hidden=5, blocks=2, layers=1, base="logistic")
    w = identity_start(init_weights(setter_shapes(shape), np.random.default_rng(0)))
    rng = np.random.default_rng(1)
    u, c = rng.uniform(1e-3, 1 - 1e-3, (40, 2)), rng.uniform(0, 1, (40, 1))
    z = exact_log(u) - exact_log(1.0 - u)
    goals, _ = setter_forward(w, z, c, shape, NUMPY_OPS)
    np.testing.assert_allclose(goals, u, rtol=0, atol=1e-15)
    tw = {k: torch.tensor(a) for k, a in w.items()}
    _, lp = setter_forward(tw, torch.tensor(z), torch.tensor(c), shape, _torch_ops(), log_p=True)
    _, inv_lp = setter_inverse(tw, torch.tensor(u), torch.tensor(c), shape, _torch_ops())
    assert lp.abs().max() < 1e-12 and inv_lp.abs().max() < 1e-12


@pytest.mark.parametrize("start", ["uniform", "reference"])
def test_the_first_proposals_cover_the_box_only_with_a_uniform_start(start):
    t = build(setter_start=start)
    for _ in range(20):
        t.update(t.sample_task(), 0.0)
    goals = (np.array([t.sample_task() for _ in range(400)]) - SPACE.low) / SPACE.width
    quarters = np.histogram2d(goals[:, 0], goals[:, 1], bins=2, range=[[0, 1], [0, 1]])[0]
    corner = (goals < 0.2).all(axis=1).mean()  # the toy student's start cell, scaled
    if start == "uniform":
        assert (np.abs(quarters / 400 - 0.25) < 0.07).all() and corner > 0.01
    else:  # the reference's small setter starts near the centre
        assert corner == 0.0


def test_exact_atan_is_accurate():
    x = np.concatenate([np.linspace(-50, 50, 20001), [0.0, -0.0, 1e300, -np.inf, 1e-300]])
    np.testing.assert_allclose(exact_atan(x), np.arctan(x), rtol=1e-15, atol=1e-300)


def test_bootstrap_is_uniform_then_the_setter_samples():
    t = build()
    for _ in range(45):
        task = t.sample_task()
        t.update(task, float(task[0] > 0.5))
    assert t.record_.origins[:20] == ["bootstrap"] * 20
    assert set(t.record_.origins[20:]) == {"setter"}
    assert t.installed_fit_index == 2 and t.fits_due == 2
    assert t.describe_state()["fits"] == 2


def test_rows_carry_the_feasibility_each_task_was_set_with():
    t = build()
    for _ in range(20):
        t.update(t.sample_task(), 0.0)
    task = t.sample_task()
    f = t._memory[task.tobytes()]
    assert 0 < f < 1
    t.observe(task, 1.0)
    t.observe([0.5, 0.0], 1.0)  # not issued by this teacher: no feasibility
    rows = t._rows
    assert rows[-2, 2] == f and rows[-2, 3] == 1.0 and rows[-2, 4] == 21
    assert np.isnan(rows[-1, 2]) and rows[-1, :2].tolist() == [0.5, 0.5]


def test_fit_is_a_separable_step_and_late_fits_coalesce():
    sync, deferred = build(), build()
    rng = np.random.default_rng(0)
    data = [(SPACE.low + rng.random(2) * SPACE.width, float(rng.random())) for _ in range(60)]
    for task, r in data[:20]:
        sync.update(task, r)
        deferred.observe(task, r)
    job = deferred.pending_fit
    assert job is not None and job.fit_index == 1 and job.episode == 20
    assert not job.goals.flags.writeable and job.goals.shape == (20, 2)
    for _ in range(5):
        deferred.sample_task()  # sampling in between changes nothing
    result = run_fit(pickle.loads(pickle.dumps(job)))  # as the server's fit processes do
    deferred.install_fit(result)
    assert all(np.array_equal(result.arrays[k], sync.fit_.arrays[k]) for k in result.arrays)
    with pytest.raises(StateMismatchError, match="fit_index must be greater"):
        deferred.install_fit(result)
    # Two rounds without a fit: the newest job trains on both.
    for task, r in data[20:]:
        deferred.observe(task, r)
    late = deferred.pending_fit
    assert late.fit_index == 3 and late.goals.shape == (40, 2) and late.previous is result
    deferred.install_fit(run_fit(late))
    assert deferred.pending_fit is None and deferred._rows.shape[0] == 0


def test_a_foreign_or_misshapen_fit_is_refused_and_changes_nothing():
    t = build()
    for _ in range(20):
        t.update(t.sample_task(), 0.5)
    before = json.dumps(t.state_dict())
    good = t.fit_
    wrong_kind = ArrayFit(kind="goal-gan", fit_index=5, seed=0, arrays=dict(good.arrays),
                          values=dict(good.values))
    with pytest.raises(StateMismatchError,
                       match="ArrayFit of kind 'setter-solver', got 'goal-gan'"):
        t.install_fit(wrong_kind)
    arrays = dict(good.arrays)
    arrays["setter.0.0.s.in.weight"] = np.zeros((3, 3))
    with pytest.raises(StateMismatchError, match="setter.0.0.s.in.weight"):
        t.install_fit(ArrayFit("setter-solver", 5, 0, arrays, dict(good.values)))
    with pytest.raises(StateMismatchError, match="integer 'steps'"):
        t.install_fit(ArrayFit("setter-solver", 5, 0, dict(good.arrays), {"episode": 20}))
    assert json.dumps(t.state_dict()) == before


@pytest.mark.parametrize("start", ["uniform", "reference"])
def test_a_logged_fit_samples_the_same_tasks_in_a_fresh_teacher(start):
    """What replay relies on: a fit read back from its JSON, installed at the same point,
    gives bit-identical tasks (numpy forward pass only); so does a state round trip."""
    a, b = build(3, setter_start=start), build(3, setter_start=start)
    for _ in range(20):
        task = a.sample_task()
        assert np.array_equal(task, b.sample_task())
        a.observe(task, 1.0)
        b.observe(task, 1.0)
    fit = run_fit(a.pending_fit)
    a.install_fit(fit)
    b.install_fit(ArrayFit.from_json(json.loads(json.dumps(fit.to_json()))))
    assert [a.sample_task().tolist() for _ in range(30)] == [
        b.sample_task().tolist() for _ in range(30)]
    restored = make_teacher("setter-solver", SPACE)
    restored.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert restored.get_params()["setter_start"] == start
    assert [a.sample_task().tolist() for _ in range(30)] == [
        restored.sample_task().tolist() for _ in range(30)]


def test_the_judge_learns_where_the_student_succeeds():
    t = build(1, learning_rate=0.05, train_steps=5, judge_hidden_sizes=(16,))
    rng = np.random.default_rng(1)
    for _ in range(200):
        task = SPACE.low + rng.random(2) * SPACE.width
        t.update(task, 1.0 if task[0] < 0.3 else 0.0)
    left = np.column_stack([np.full(50, 0.1), np.linspace(0, 1, 50)])
    right = np.column_stack([np.full(50, 0.8), np.linspace(0, 1, 50)])
    logits = [judge_logits(t.fit_.arrays, g, 2, NUMPY_OPS).mean() for g in (left, right)]
    assert logits[0] > logits[1] + 1.0
    assert t.fit_.values["steps"] == 10 * 5


def test_without_torch_make_teacher_names_the_extra():
    done = _run_without_torch(
        "from teacher import TaskSpace, make_teacher\n"
        "from teacher.errors import TeacherError\n"
        "try:\n    make_teacher('setter-solver', TaskSpace({'x': (0.0, 1.0)}))\n"
        "except TeacherError as exc:\n    print('ERR', exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert ("ERR teacher 'setter-solver' needs PyTorch: pip install "
            "'curriculum-teacher[neural]'" in done.stdout)
