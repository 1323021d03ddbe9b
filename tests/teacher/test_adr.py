"""ADR's box: which results move which side, by how much, and what it never does."""

import json

import numpy as np
import pytest

from teacher import ADR, Curriculum, CurriculumConfig, ResultIn, TaskSpace, make_teacher

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})
STUMPS = TaskSpace({"stump_height": (0.0, 3.0), "obstacle_spacing": (0.0, 6.0)})


def adr(space: TaskSpace = SPACE, **params) -> ADR:
    t = make_teacher("adr", space, random_state=0, **params)
    assert isinstance(t, ADR)
    return t


def test_a_full_queue_at_or_above_the_upper_threshold_moves_the_side_outwards():
    t = adr(initial_task=(0.5, 0.5), queue_len=2, upper_threshold=0.75, lower_threshold=0.25)
    t.update([0.5, 0.5], 0.5)
    assert t.low_.tolist() == [0.5, 0.5] and t.high_.tolist() == [0.5, 0.5]
    assert t.queue_lengths() == {"low": [1, 1], "high": [1, 1]}  # a point is all sides
    t.update([0.5, 0.5], 1.0)  # mean 0.75 == upper_threshold: expands (inclusive)
    assert t.low_ == pytest.approx([0.5 - 1 / 30] * 2)
    assert t.high_ == pytest.approx([0.5 + 1 / 30] * 2)
    assert t.queue_lengths() == {"low": [0, 0], "high": [0, 0]}
    assert (t.n_expanded_, t.n_shrunk_) == (4, 0)


def test_a_full_queue_at_or_below_the_lower_threshold_moves_only_that_side_inwards():
    t = adr(initial_task=(0.5, 0.5), queue_len=2, upper_threshold=0.75, lower_threshold=0.25)
    for _ in range(2):
        t.update([0.5, 0.5], 1.0)
    low, high = t.low_.copy(), t.high_.copy()
    inside = (low[1] + high[1]) / 2
    t.update([high[0], inside], 0.0)
    t.update([high[0], inside], 0.5)  # mean 0.25 == lower_threshold: shrinks (inclusive)
    assert t.high_[0] == pytest.approx(high[0] - 1 / 30)
    assert t.low_.tolist() == low.tolist() and t.high_[1] == high[1]
    assert t.n_shrunk_ == 1


def test_a_mean_between_the_thresholds_empties_the_queue_and_moves_nothing():
    t = adr(initial_task=(0.5, 0.5), queue_len=3)
    for r in (0.3, 0.5, 0.6):
        t.update([0.5, 0.5], r)
    assert t.low_.tolist() == [0.5, 0.5] and t.high_.tolist() == [0.5, 0.5]
    assert t.queue_lengths() == {"low": [0, 0], "high": [0, 0]}


def test_only_tasks_on_a_side_of_the_current_box_count():
    t = adr(initial_task=(0.5, 0.5), queue_len=1)
    t.update([0.5, 0.5], 1.0)  # the box is now 0.5 +- 1/30 on both dimensions
    t.update([0.51, 0.49], 0.0)  # inside: no queue
    t.update([0.9, 0.1], 0.0)  # outside the box (a task this teacher did not issue)
    t.update([0.5, 0.5], 0.0)  # the old point is no longer a side
    assert t.low_ == pytest.approx([0.5 - 1 / 30] * 2)
    assert t.high_ == pytest.approx([0.5 + 1 / 30] * 2)
    t.update({"x0": float(t.low_[0]), "x1": 0.5}, 0.0)
    assert t.low_[0] == pytest.approx(0.5) and t.n_shrunk_ == 1


def test_the_step_is_a_fraction_of_each_range_and_the_box_never_leaves_the_space():
    t = adr(STUMPS, initial_task=(0.0, 6.0), queue_len=1)
    t.update([0.0, 6.0], 1.0)
    # stump_height grows up only (0 is the space's low); obstacle_spacing down only.
    assert t.low_.tolist() == [0.0, pytest.approx(5.8)]
    assert t.high_.tolist() == [pytest.approx(0.1), 6.0]
    for _ in range(200):  # every side, every time: the box ends as the whole space
        for i in range(2):
            for side in (t.low_, t.high_):
                task = (t.low_ + t.high_) / 2
                task[i] = side[i]
                t.update(task, 1.0)
    assert t.low_.tolist() == STUMPS.low.tolist() and t.high_.tolist() == STUMPS.high.tolist()


def test_shrinking_never_inverts_the_box():
    t = adr(initial_task=(0.5, 0.5), queue_len=1)
    t.update([0.5, 0.5], 1.0)
    for _ in range(5):
        for i in range(2):
            for side in ("low", "high"):
                task = (t.low_ + t.high_) / 2
                task[i] = getattr(t, f"{side}_")[i]
                t.update(task, 0.0)
                assert (t.low_ <= t.high_).all()
    assert t.low_.tolist() == t.high_.tolist()  # back to a single task
    assert (t.low_ >= 0.5 - 1 / 30).all() and (t.high_ <= 0.5 + 1 / 30).all()


def test_random_returns_keep_the_box_inside_the_space_and_ordered():
    t = adr(queue_len=3, initial_task=(0.2, 0.7))
    rng = np.random.default_rng(1)
    for _ in range(3000):
        task = t.sample_task()
        assert (t.low_ <= task).all() and (task <= t.high_).all()
        t.update(task, float(rng.random()))
        assert (SPACE.low <= t.low_).all() and (t.low_ <= t.high_).all()
        assert (t.high_ <= SPACE.high).all()
    assert t.n_expanded_ > 10 and t.n_shrunk_ > 10


def test_boundary_tasks_sit_on_the_side_their_origin_names():
    t = adr(queue_len=1, boundary_sampling_p=1.0, initial_task=(0.5, 0.5))
    t.update([0.5, 0.5], 1.0)
    for _ in range(200):
        s = t.sample()
        kind, i, side = s.origin.split(":")
        assert kind == "boundary"
        assert s.task[int(i)] == getattr(t, f"{side}_")[int(i)]
    sides = {o for o in t.record_.origins}
    assert sides == {f"boundary:{i}:{s}" for i in "01" for s in ("low", "high")}
    never = adr(boundary_sampling_p=0.0, initial_task=(0.5, 0.5))
    assert {never.sample().origin for _ in range(50)} == {"box"}


def test_a_dimension_spanning_the_whole_space_gets_no_boundary_tasks():
    t = adr(queue_len=1, boundary_sampling_p=1.0, step_size=1.0, initial_task=(0.5, 0.5))
    t.update([0.5, 0.5], 1.0)  # one step of the whole range: the box is the space
    assert t.low_.tolist() == [0.0, 0.0] and t.high_.tolist() == [1.0, 1.0]
    assert {t.sample().origin for _ in range(50)} == {"box"}


def test_thresholds_apply_to_the_normalised_return_or_else_the_raw_one():
    bounded = adr(reward_bounds=(-150, 350), queue_len=1)
    bounded.update([0.0, 0.0], 180.0)  # (180 + 150) / 500 = 0.66: expands
    assert bounded.high_ == pytest.approx([1 / 30, 1 / 30])
    raw = adr(queue_len=1)  # no bounds: 180 is compared with 0.66 as it is
    raw.update([0.0, 0.0], 180.0)
    assert raw.high_ == pytest.approx([1 / 30, 1 / 30])
    raw_thresholds = adr(queue_len=1, upper_threshold=180.0, lower_threshold=0.0)
    raw_thresholds.update([0.0, 0.0], 100.0)
    assert raw_thresholds.high_.tolist() == [0.0, 0.0]


def test_default_start_is_the_low_corner_and_the_box_shows_in_describe_state():
    t = adr(STUMPS)
    assert t.low_.tolist() == [0.0, 0.0] and t.high_.tolist() == [0.0, 0.0]
    assert {tuple(t.sample_task()) for _ in range(20)} == {(0.0, 0.0)}
    state = json.loads(json.dumps(t.describe_state()))
    assert state == {"kind": "box", "updates": 0, "sampled": 20, "low": [0.0, 0.0],
                     "high": [0.0, 0.0], "expansions": 0, "shrinks": 0}


def test_a_state_with_an_inverted_or_outside_box_is_refused():
    t = adr()
    t.update([0.0, 0.0], 1.0)
    state = json.loads(json.dumps(t.state_dict()))
    fresh = adr()
    for low, high in (([0.5, 0.0], [0.4, 0.1]), ([-0.1, 0.0], [0.1, 0.1])):
        bad = {**state, "state": {**state["state"], "low": low, "high": high}}
        with pytest.raises(ValueError, match="not inside the space"):
            fresh.load_state_dict(bad)
    assert fresh.low_.tolist() == [0.0, 0.0] and fresh.n_updates_ == 0


def test_a_curriculum_log_replays_every_box_move():
    config = CurriculumConfig(name="adr", teacher="adr", space=SPACE, seed=3,
                              teacher_params={"queue_len": 2, "lower_threshold": 0.4})
    live = Curriculum(config)
    events = [live.created_event()]
    rng = np.random.default_rng(0)
    for _ in range(150):
        tasks = live.issue_tasks(2)
        events += tasks
        events += live.report([ResultIn(e.task_id, float(rng.random())) for e in tasks]).events
    assert live.teacher.n_expanded_ > 0 and live.teacher.n_shrunk_ > 0
    rebuilt = Curriculum.from_events(events)
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())


def test_scores_are_accepted_and_ignored():
    with_scores, without = adr(queue_len=2), adr(queue_len=2)
    for i in range(40):
        task = with_scores.sample_task()
        assert np.array_equal(task, without.sample_task())
        with_scores.update(task, 0.9, score=float(i))
        without.update(task, 0.9)
    with_scores.observe_score(task, 5.0)
    assert with_scores.state_dict() == without.state_dict()
