"""Robust PLR: the replay distribution, the score proxy, buffer admission, seeds, late
scores and foreign tasks (the shared teacher tests cover determinism, state and bad input)."""

import json

import numpy as np
import pytest

from teacher import InvalidReturnError, TaskSpace, ToyStudent, make_teacher
from teacher._levels import replay_probabilities, score_ranks
from teacher.plr import DESCRIBED_LEVELS, STAGING_LIMIT

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 2.0)})


def plr(**params):
    return make_teacher("plr", SPACE, random_state=0, **params)


def fill(t, scores, rets=None):
    """Issue len(scores) new levels and report each with its score (and return)."""
    samples = [t.sample() for _ in scores]
    assert all(s.origin == "new" for s in samples)
    for i, (s, sc) in enumerate(zip(samples, scores, strict=True)):
        t.observe(s.task, 0.0 if rets is None else rets[i], sc)
    return samples


def test_ranks_are_used_once_and_ties_go_to_the_higher_slot():
    assert score_ranks(np.array([0.2, 0.5, 0.5, 0.1])).tolist() == [3.0, 2.0, 1.0, 4.0]


def test_replay_probabilities_mix_rank_and_staleness_as_the_paper_defines():
    scores, stale = np.array([0.2, 0.5, 0.5, 0.1]), np.array([3.0, 0.0, 1.0, 4.0])
    h = np.array([1 / 9, 1 / 4, 1.0, 1 / 16])  # rank ** (-1 / beta), beta = 0.5
    expected = 0.7 * h / h.sum() + 0.3 * stale / stale.sum()
    got = replay_probabilities(scores, stale, beta=0.5, staleness_coef=0.3)
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    # no staleness yet: that half is uniform; staleness_coef 0: ranks alone
    np.testing.assert_allclose(replay_probabilities(scores, np.zeros(4), 0.5, 0.3),
                               0.7 * h / h.sum() + 0.3 / 4, rtol=1e-15)
    np.testing.assert_allclose(replay_probabilities(scores, stale, 0.5, 0.0), h / h.sum())
    # a low temperature leaves nearly all the score mass on the top rank
    assert replay_probabilities(np.arange(1000.0), np.zeros(1000), 0.01, 0.0)[-1] == 1.0


def test_the_teacher_replays_by_its_buffer_scores_and_staleness():
    """Staleness counts replays (as dcd does): a level enters the buffer at 0, and each
    replay adds 1 to every level but the replayed one, which goes back to 0."""
    t = plr(buffer_size=4, min_fill=1.0, replay_prob=1.0, beta=0.5, staleness_coef=0.3)
    samples = fill(t, [0.2, 0.5, 0.5, 0.1])
    h = np.array([1 / 9, 1 / 4, 1.0, 1 / 16])
    np.testing.assert_allclose(t.replay_probabilities_(), 0.7 * h / h.sum() + 0.3 / 4,
                               rtol=1e-15)
    stale = np.zeros(4)
    for _ in range(3):
        s = t.sample()
        slot = int(s.origin.split(":")[1])
        assert np.array_equal(s.task, samples[slot].task) and s.seed == samples[slot].seed
        stale += 1
        stale[slot] = 0.0
        np.testing.assert_allclose(t.replay_probabilities_(), 0.7 * h / h.sum()
                                   + 0.3 * stale / stale.sum(), rtol=1e-15)
    # the draws follow those probabilities (fixed seed: deterministic)
    counts = np.zeros(4)
    for _ in range(4000):
        counts[int(t.sample().origin.split(":")[1])] += 1
    assert counts[2] > counts[1] > counts[0] > counts[3] > 0


def test_no_replay_before_the_buffer_holds_min_fill_then_min_fill_replay_prob():
    t = plr(buffer_size=10, min_fill=0.5, replay_prob=0.3)
    fill(t, [0.1, 0.2, 0.3, 0.4])  # 40 % full: every sample is new
    assert [t.sample().origin for _ in range(30)] == ["new"] * 30  # unreported: not buffered
    t3 = plr(buffer_size=10, min_fill=0.5, replay_prob=0.3)
    fill(t3, [1.0] * 5)  # 50 % full: replays with probability min(0.5, 0.3)
    origins = [t3.sample().origin for _ in range(2000)]
    share = np.mean([o.startswith("replay:") for o in origins])
    assert 0.25 < share < 0.35


def test_the_proxy_ranks_an_improving_level_above_a_flat_one():
    """On a steadily improving student the proxy is the return's change between visits
    (a MaxMC-style 'best minus this return' would be 0 for both)."""
    t = plr(buffer_size=2)
    (a, b) = fill(t, [None, None], rets=[0.1, 0.5])
    # first visits: |return - the nearest buffered level's latest return| (0 when empty)
    assert t.buffer_.scores[:2].tolist() == pytest.approx([0.0, 0.4])
    for step in range(1, 4):
        t.observe(a.task, 0.1 + 0.1 * step)
        t.observe(b.task, 0.5)
    assert t.buffer_.scores[:2].tolist() == pytest.approx([0.1, 0.0])
    assert t.buffer_.returns[:2].tolist() == pytest.approx([0.4, 0.5])


def test_first_visit_proxy_uses_the_nearest_level_in_normalised_units():
    t = plr(buffer_size=3)
    s = [t.sample() for _ in range(3)]
    t.observe(s[0].task, 0.9)
    t.observe(s[1].task, 0.2)
    # distances in units of each range: x1 spans 2, so its differences count half
    d = [np.sum(((s[i].task - s[2].task) / SPACE.width) ** 2) for i in (0, 1)]
    near = (0.9, 0.2)[int(np.argmin(d))]
    t.observe(s[2].task, 0.5)
    assert t.buffer_.scores[2] == pytest.approx(abs(0.5 - near))


def test_a_full_buffer_admits_a_level_scoring_at_least_the_weakest():
    t = plr(buffer_size=3, buffer_priority="score", min_fill=1.0, replay_prob=0.0)
    fill(t, [0.3, 0.1, 0.2])
    low, tie, high = t.sample(), t.sample(), t.sample()
    t.observe(low.task, 0.0, 0.05)
    assert t.buffer_.scores[:3].tolist() == [0.3, 0.1, 0.2]  # lower: rejected
    t.observe(tie.task, 0.0, 0.1)
    assert t.buffer_.slot(tie.task) == 1  # as high as the lowest: replaces it
    t.observe(high.task, 0.0, 0.25)
    assert t.buffer_.slot(high.task) == 1 and t.buffer_.scores[:3].tolist() == [0.3, 0.25, 0.2]
    assert t.buffer_.slot(tie.task) is None
    assert t.buffer_.seeds[1] == high.seed


@pytest.mark.parametrize(("priority", "victim"), [("replay_support", 2), ("score", 0)])
def test_a_full_buffer_replaces_the_least_likely_replay_or_the_lowest_score(priority, victim):
    t = plr(buffer_size=3, min_fill=1.0, replay_prob=0.0, staleness_coef=0.5,
            buffer_priority=priority)
    fill(t, [0.1, 0.3, 0.2])
    t.buffer_.issued[:3] = [-10, -1, -1]  # as if 9 replays had passed over the 0.1 level
    p = t.replay_probabilities_()
    assert int(np.argmin(p)) == 2  # scores [0.1, 0.3, 0.2], staleness [9, 0, 0]
    s = t.sample()
    t.observe(s.task, 0.0, 0.2)
    assert t.buffer_.slot(s.task) == victim
    expected = [0.1, 0.3, 0.2]
    expected[victim] = 0.2
    assert t.buffer_.scores[:3].tolist() == expected


def test_late_scores_replace_the_latest_visit_or_admit_a_proxy_scored_level():
    t = plr(buffer_size=2, buffer_priority="score", min_fill=1.0, replay_prob=0.0)
    a, b = fill(t, [0.5, 0.6])
    t.observe_score(a.task, 0.9)
    assert t.buffer_.scores[:2].tolist() == [0.9, 0.6]
    c = t.sample()
    t.observe(c.task, t.buffer_.returns[1])  # proxy 0 against its nearest level: rejected
    assert t.buffer_.slot(c.task) is None
    state = json.loads(json.dumps(t.state_dict()))
    t.observe_score(c.task, 0.7)  # its real score enters it
    assert t.buffer_.slot(c.task) == 1 and t.buffer_.seeds[1] == c.seed
    t.observe_score(c.task, 0.8)  # a level in the buffer: replaces its score
    assert t.buffer_.scores[1] == 0.8
    clone = make_teacher("plr", SPACE)
    clone.load_state_dict(state)  # the staged level survives a state round trip
    clone.observe_score(c.task, 0.7)
    assert clone.buffer_.slot(c.task) == 1
    with pytest.raises(InvalidReturnError, match="score must be a finite number"):
        t.observe_score(c.task, float("nan"))


def test_tasks_the_teacher_did_not_issue_leave_the_buffer_alone():
    t = plr(buffer_size=4)
    fill(t, [0.1, 0.2])
    before = json.dumps(t.state_dict())
    t.observe([0.5, 0.5], 1.0, 3.0)
    t.observe_score([0.25, 0.5], 3.0)
    after = json.loads(json.dumps(t.state_dict()))
    assert after["state"] == json.loads(before)["state"] and t.buffer_.size == 2


def test_issued_levels_wait_for_their_results_in_a_bounded_staging_area():
    t = plr(buffer_size=8)
    first = t.sample()
    rest = [t.sample() for _ in range(STAGING_LIMIT)]
    t.observe(first.task, 0.5, 1.0)  # forgotten: too many issued since
    assert t.buffer_.size == 0
    t.observe(rest[0].task, 0.5, 1.0)
    assert t.buffer_.size == 1


def test_state_round_trip_with_levels_in_flight():
    student = ToyStudent(random_state=1)
    t = make_teacher("plr", student.space, random_state=0, buffer_size=16)
    for _ in range(40):
        s = t.sample()
        t.observe(s.task, student.episode(s.task))
    flying = [t.sample() for _ in range(5)]
    clone = make_teacher("plr", student.space)
    clone.load_state_dict(json.loads(json.dumps(t.state_dict())))
    for s in flying:
        r = student.episode(s.task)
        t.observe(s.task, r)
        clone.observe(s.task, r)
    for _ in range(30):
        a, b = t.sample(), clone.sample()
        assert np.array_equal(a.task, b.task) and (a.origin, a.seed) == (b.origin, b.seed)
    assert json.dumps(t.state_dict()) == json.dumps(clone.state_dict())


def test_described_levels_are_bounded():
    t = plr(buffer_size=DESCRIBED_LEVELS + 50)
    fill(t, list(np.linspace(0, 1, DESCRIBED_LEVELS + 50)))
    state = t.describe_state()
    assert state["size"] == DESCRIBED_LEVELS + 50 and len(state["levels"]) == DESCRIBED_LEVELS
    assert state["levels"][0]["score"] == 1.0
