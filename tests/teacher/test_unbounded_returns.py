"""Unbounded returns (no reward_bounds): whatever finite returns a teacher is fed, it
never issues a non-finite task nor produces a non-finite fit, and a fit of scaled data
survives its JSON round trip and the replay of a curriculum's log."""

import json
import sys

import numpy as np
import pytest

from teacher import (
    TEACHERS,
    ArrayFit,
    Curriculum,
    CurriculumConfig,
    FitResult,
    ResultIn,
    TaskSpace,
    event_from_json,
    event_to_json,
    make_teacher,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})
FAST = {
    "adr": {"queue_len": 5},
    "alp-gmm": {"fit_rate": 20},
    "alp-gmm+": {"fit_rate": 20},
    "covar-gmm": {"fit_rate": 20},
    "riac": {"max_region_size": 30, "min_region_size": 5},
    "oracle": {"threshold": 0.3, "period": 10},
    "plr": {"buffer_size": 20},
    "random": {},
    "goal-gan": {"update_size": 10, "gan_iterations": 3, "pretrain_iterations": 5,
                 "generator_layers": (8,), "discriminator_layers": (8,), "batch_size": 8},
    "setter-solver": {"update_frequency": 20, "setter_hidden_size": 4, "judge_hidden_sizes": (8,),
                      "sample_batch": 8},
    "spdl": {"update_frequency": 20, "update_offset": 20, "alpha_offset": 1},
}
BIG = sys.float_info.max


@pytest.mark.parametrize("magnitude", [1e200, BIG])
@pytest.mark.parametrize("name", sorted(TEACHERS))
def test_huge_alternating_returns_keep_tasks_and_fits_finite(name, magnitude):
    t = make_teacher(name, SPACE, random_state=0, **FAST[name])
    for i in range(120):
        task = t.sample_task()
        assert np.isfinite(task).all(), f"episode {i}: task {task}"
        t.update(task, magnitude if i % 2 == 0 else -magnitude)
    fit = getattr(t, "fit_", None)
    if isinstance(fit, ArrayFit):  # a network's weights: they never see the returns
        assert all(np.isfinite(a).all() for a in fit.arrays.values())
        again = ArrayFit.from_json(json.loads(json.dumps(fit.to_json(), allow_nan=False)))
        assert all(np.array_equal(again.arrays[k], a) for k, a in fit.arrays.items())
    elif fit is not None:
        for a in (fit.weights, fit.means, fit.covariances, fit.scores):
            assert np.isfinite(a).all()
        assert fit.scale is not None
        again = FitResult.from_json(json.loads(json.dumps(fit.to_json(), allow_nan=False)))
        assert np.array_equal(again.scale, fit.scale)


def test_curriculum_log_with_huge_returns_is_valid_json_and_replays():
    # The defect of issue 14: +-1e200 alternating with fit_rate 20 logged a NaN fit and
    # issued NaN tasks, and the log no longer loaded.
    config = CurriculumConfig(name="huge", space=SPACE, teacher="alp-gmm",
                              teacher_params={"fit_rate": 20}, seed=1)
    cur = Curriculum(config)
    events = [cur.created_event()]
    for i in range(60):
        tasks = cur.issue_tasks(1)
        events += tasks
        events += cur.report(
            [ResultIn(task_id=tasks[0].task_id, episode_return=1e200 if i % 2 else -1e200)]
        ).events
    assert any(e.type == "fit" for e in events)
    lines = [json.dumps(event_to_json(e), allow_nan=False) for e in events]
    parsed = [event_from_json(json.loads(line)) for line in lines]
    again = Curriculum.from_events(parsed)
    assert again.seq == cur.seq
    assert [t.params for t in again.issue_tasks(3)] == [t.params for t in cur.issue_tasks(3)]
