"""Task leases (issue #22): pending tasks expire through a logged ``expired`` event that
replays and snapshots exactly; a late result is accepted. Evaluations are idempotent."""

from __future__ import annotations

import json

import pytest

from teacher import (
    Curriculum,
    CurriculumConfig,
    EvaluationIn,
    ExpiredEvent,
    ResultConflictError,
    ResultIn,
    TaskSpace,
    TeacherError,
    UnknownTaskIdError,
    event_to_json,
    read_jsonl,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})


class Clock:
    """Event times under the test's control (seconds after midnight, 2026-01-01)."""

    def __init__(self) -> None:
        self.t = 0

    def __call__(self) -> str:
        h, rest = divmod(self.t, 3600)
        return f"2026-01-01T{h:02d}:{rest // 60:02d}:{rest % 60:02d}.000000Z"


def curriculum(clock: Clock) -> Curriculum:
    config = CurriculumConfig(name="leases", teacher="alp-gmm", space=SPACE,
                              teacher_params={"fit_rate": 10}, seed=3, reward_bounds=(0.0, 1.0),
                              mastery_threshold=0.5)
    return Curriculum(config, clock=clock)


def test_pending_tasks_expire_and_replay_rebuilds_the_same_pending_set() -> None:
    clock = Clock()
    cur = curriculum(clock)
    events: list = [cur.created_event()]
    first = cur.issue_tasks(3)
    events += first
    clock.t = 50
    second = cur.issue_tasks(2)
    events += second
    events += cur.report([ResultIn(first[0].task_id, 0.2)]).events
    clock.t = 99
    assert cur.expire_tasks(100) == []  # not yet: 99 s < 100 s
    clock.t = 100
    expired = cur.expire_tasks(100)
    assert [type(e) for e in expired] == [ExpiredEvent]
    assert expired[0].task_ids == (first[1].task_id, first[2].task_id)
    assert set(cur.pending) == {t.task_id for t in second}
    assert cur.counts()["expired"] == 2 and cur.counts()["pending"] == 2
    events += expired
    # A late result for an expired task is accepted once; an unknown id still is not.
    late = cur.report([ResultIn(first[1].task_id, 0.7)])
    assert len(late.events) >= 1 and late.accepted == 1
    events += late.events
    assert cur.report([ResultIn(first[1].task_id, 0.7)]).duplicates == 1
    with pytest.raises(UnknownTaskIdError):
        cur.report([ResultIn("t999", 0.1)])
    # Replay from the JSON lines rebuilds exactly the live books.
    lines = [json.dumps(event_to_json(e)) for e in events]
    rebuilt = Curriculum.from_events(read_jsonl(lines), clock=clock)
    assert rebuilt.state_dict() == cur.state_dict()
    assert Curriculum.from_state_dict(cur.state_dict()).state_dict() == cur.state_dict()
    clock.t = 150
    assert [e.task_ids for e in rebuilt.expire_tasks(100)] == [
        tuple(t.task_id for t in second)
    ]


def test_lease_must_be_positive() -> None:
    cur = curriculum(Clock())
    cur.created_event()
    for bad in (0, -1, True, "60"):
        with pytest.raises(TeacherError, match="lease_seconds must be a positive number"):
            cur.expire_tasks(bad)  # type: ignore[arg-type]
    assert cur.seq == 1


def test_the_same_evaluation_is_stored_once() -> None:
    cur = curriculum(Clock())
    cur.created_event()
    batch = [EvaluationIn({"x0": 0.1 * i, "x1": 0.5}, float(i) / 4, "paper50", 100, "w1")
             for i in range(4)]
    assert len(cur.record_evaluations(batch)) == 4
    assert cur.record_evaluations(batch) == []  # re-sent after a restart: nothing new
    assert cur.counts()["evaluations"] == 4 and cur.mastery_summary()[0]["evaluated"] == 4
    changed = [EvaluationIn(batch[0].params, 0.9, "paper50", 100, "w1")]
    with pytest.raises(ResultConflictError, match="already stored with return 0.0, got 0.9"):
        cur.record_evaluations(changed)
    other_step = [EvaluationIn(batch[0].params, 0.0, "paper50", 200, "w1")]
    assert len(cur.record_evaluations(other_step)) == 1
    no_step = [EvaluationIn(batch[0].params, 0.0, "paper50", None, "w1")]
    assert len(cur.record_evaluations(no_step)) == 1
    assert len(cur.record_evaluations(no_step)) == 1  # no step: nothing to tell them apart
    restored = Curriculum.from_state_dict(cur.state_dict())
    assert restored.record_evaluations(batch) == []
