"""Idempotent task requests (issue #15.6) and event schema version 2: a request id seen
before returns the same tasks, the memory of request ids is rebuilt exactly by replay and
by snapshots, and version-1 logs and states still load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from teacher import (
    SCHEMA_VERSION,
    UPGRADES,
    Curriculum,
    CurriculumConfig,
    RequestConflictError,
    ResultIn,
    TaskSpace,
    event_to_json,
    read_jsonl,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})


def config() -> CurriculumConfig:
    return CurriculumConfig(name="ids", teacher="alp-gmm", space=SPACE,
                            teacher_params={"fit_rate": 10}, seed=3, reward_bounds=(0.0, 1.0))


def drawn(tasks: list) -> list:
    """What a task request answers (the time of the event aside)."""
    return [(t.seq, t.task_id, t.params, t.origin, t.request_id) for t in tasks]


class SmallMemory(Curriculum):
    REMEMBERED_TASKS = 5


def drive(cur: Curriculum, rounds: int) -> list:
    """Tasks with and without request ids (some retried), results for half of them."""
    rng = np.random.default_rng(0)
    events = [cur.created_event()] if cur.seq == 0 else []
    for i in range(rounds):
        rid = f"req-{i}" if i % 3 else None
        tasks = cur.issue_tasks(1 + i % 3, request_id=rid)
        events += tasks
        if rid is not None:
            assert cur.issue_tasks(1 + i % 3, request_id=rid) == tasks  # a retry: the same
        done = [ResultIn(t.task_id, float(rng.random())) for t in tasks[: len(tasks) // 2 + 1]]
        events += cur.report(done).events
    return events


def test_a_retried_request_gets_the_same_tasks_and_no_new_event() -> None:
    cur = Curriculum(config())
    cur.created_event()
    first = cur.issue_tasks(3, request_id="a")
    seq, pending = cur.seq, dict(cur.pending)
    assert cur.issue_tasks(3, request_id="a") == first
    assert (cur.seq, cur.pending) == (seq, pending)
    assert all(e.request_id == "a" for e in first)
    assert cur.issue_tasks(3, request_id="b") != first
    with pytest.raises(RequestConflictError, match="request_id 'a' was used for a request of 3"):
        cur.issue_tasks(2, request_id="a")
    assert cur.issue_tasks(3)[0].request_id is None


@pytest.mark.parametrize("cls", [Curriculum, SmallMemory])
def test_replay_and_snapshots_rebuild_the_request_memory_exactly(cls: type[Curriculum]) -> None:
    live = cls(config())
    events = drive(live, 30)
    back = cls.from_events(read_jsonl([json.dumps(event_to_json(e)) for e in events]))
    assert back.requests == live.requests
    assert back.state_dict() == live.state_dict()
    restored = cls.from_state_dict(json.loads(json.dumps(live.state_dict())))
    assert restored.requests == live.requests
    if cls is SmallMemory:  # the oldest requests were forgotten, the newest kept
        assert len(live.requests) <= 5
        assert "req-29" in live.requests and "req-1" not in live.requests
    retried = live.requests.get("req-29")
    assert live.issue_tasks(3, request_id="req-29") == retried
    fresh = drawn(live.issue_tasks(4, request_id="new"))
    for cur in (back, restored):  # continuing gives the same tasks as never stopping
        assert cur.issue_tasks(3, request_id="req-29") == retried
        assert drawn(cur.issue_tasks(4, request_id="new")) == fresh


def test_version_1_logs_and_states_still_load() -> None:
    assert SCHEMA_VERSION == 5 and set(UPGRADES) == {1, 2, 3, 4}
    live = Curriculum(config())
    events = [live.created_event()]
    for _ in range(12):  # no request ids: what version 1 could hold
        tasks = live.issue_tasks(2)
        events += tasks
        events += live.report([ResultIn(t.task_id, 0.5) for t in tasks]).events
    v1 = []
    for e in events:
        d = event_to_json(e)
        assert "request_id" not in d
        v1.append(json.dumps({**d, "schema_version": 1}))
    old = Curriculum.from_events(read_jsonl(v1))
    assert old.state_dict() == live.state_dict()
    state = live.state_dict()
    state_v1 = {k: v for k, v in state.items() if k not in ("requests", "scorable")} | {
        "format_version": 1, "counts": {k: v for k, v in state["counts"].items() if k != "scores"}}
    # Results stored before version 4 cannot take a late score: the rest is the same.
    assert Curriculum.from_state_dict(state_v1).state_dict() == state | {"scorable": []}
    assert drawn(old.issue_tasks(3, request_id="x")) == drawn(live.issue_tasks(3, request_id="x"))
