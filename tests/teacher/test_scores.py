"""Per-episode scores in the curriculum: results with a score, late scores (validated as a
whole, idempotent, logged as ``score`` events), exact replay of a log holding them, the
bounded window of results that take a late score, and logs and states from before
(event schema 3, curriculum state format 3) loading unchanged."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from teacher import (
    Curriculum,
    CurriculumConfig,
    ResultConflictError,
    ResultIn,
    ScoreIn,
    TaskSpace,
    TeacherError,
    ToyStudent,
    UnknownTaskIdError,
    event_to_json,
    read_jsonl,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})


def _plr() -> Curriculum:
    return Curriculum(CurriculumConfig("s", "plr", SPACE, {"buffer_size": 8}, seed=5,
                                       reward_bounds=(0.0, 1.0)))


def _play(cur: Curriculum, rounds: int) -> list:
    """Results without a score, then their scores late (as a PPO worker sends them); every
    third result carries its score itself."""
    student = ToyStudent(random_state=0)
    events: list = [cur.created_event()]
    for r in range(rounds):
        tasks = cur.issue_tasks(3)
        events += tasks
        results = [ResultIn(t.task_id, student.episode(list(t.params.values())),
                            score=0.1 * (r % 5) if i == 0 else None)
                   for i, t in enumerate(tasks)]
        events += cur.report(results).events
        late = [ScoreIn(t.task_id, float(np.float64(r) / (i + 1)))
                for i, t in enumerate(tasks) if i > 0]
        events += cur.report_scores(late).events
    return events


def _lines(events: list) -> list[str]:
    return [json.dumps(event_to_json(e)) for e in events]


def test_a_log_with_scores_replays_to_the_live_curriculum() -> None:
    live = _plr()
    events = _play(live, 30)
    assert sum(e.type == "score" for e in events) == 60 == live.n_scores
    rebuilt = Curriculum.from_events(read_jsonl(_lines(events)))
    assert json.dumps(rebuilt.state_dict()) == json.dumps(live.state_dict())
    assert live.teacher.n_replays_ > 0  # the scores ranked levels that were replayed
    assert [(e.params, e.origin, e.seed) for e in rebuilt.issue_tasks(10)] == [
        (e.params, e.origin, e.seed) for e in live.issue_tasks(10)]


def test_late_scores_are_validated_as_a_whole_and_idempotent() -> None:
    cur = _plr()
    cur.created_event()
    a, b, c = cur.issue_tasks(3)
    cur.report([ResultIn(a.task_id, 0.5, score=0.25), ResultIn(b.task_id, 0.5)])
    seq, state = cur.seq, json.dumps(cur.state_dict())
    bad = [
        ([ScoreIn(b.task_id, 0.5), ScoreIn("nope", 1.0)], UnknownTaskIdError,
         "scores[1].task_id 'nope' was never issued"),
        ([ScoreIn(c.task_id, 1.0)], TeacherError, "no result yet"),
        ([ScoreIn(a.task_id, 0.5)], ResultConflictError, "already has score 0.25"),
        ([ScoreIn(b.task_id, 0.5), ScoreIn(b.task_id, 0.6)], ResultConflictError,
         "scores[1].task_id"),
        ([ScoreIn(b.task_id, math.nan)], TeacherError, "scores[0].score"),
        ([ScoreIn(b.task_id, True)], TeacherError, "scores[0].score"),  # type: ignore[arg-type]
        ([ScoreIn(7, 1.0)], TeacherError, "scores[0].task_id"),  # type: ignore[arg-type]
    ]
    for scores, error, message in bad:
        with pytest.raises(error) as info:
            cur.report_scores(scores)
        assert message in str(info.value), (scores, str(info.value))
        assert (cur.seq, json.dumps(cur.state_dict())) == (seq, state)  # nothing changed
    out = cur.report_scores([ScoreIn(b.task_id, 0.5), ScoreIn(a.task_id, 0.25),
                             ScoreIn(b.task_id, 0.5)])
    assert (out.accepted, out.duplicates, [e.type for e in out.events]) == (1, 2, ["score"])
    again = cur.report_scores([ScoreIn(b.task_id, 0.5)])
    assert (again.accepted, again.duplicates, again.events) == (0, 1, [])


def test_only_the_newest_results_take_a_late_score() -> None:
    cur = Curriculum(CurriculumConfig("w", "random", SPACE, seed=1))
    cur.created_event()
    n = Curriculum.SCORABLE_RESULTS + 1
    tasks = [t for _ in range(-(-n // 256)) for t in cur.issue_tasks(256)][:n]
    for k in range(0, n, 1024):
        cur.report([ResultIn(t.task_id, 0.0) for t in tasks[k:k + 1024]])
    with pytest.raises(TeacherError, match=f"older than the newest {n - 1} results"):
        cur.report_scores([ScoreIn(tasks[0].task_id, 1.0)])
    assert cur.report_scores([ScoreIn(tasks[1].task_id, 1.0)]).accepted == 1
    restored = Curriculum.from_state_dict(json.loads(json.dumps(cur.state_dict())))
    assert restored.scorable == cur.scorable


def test_a_version_3_log_and_state_load_unchanged() -> None:
    cur = Curriculum(CurriculumConfig("v3", "alp-gmm", SPACE, {"fit_rate": 10}, seed=2,
                                      reward_bounds=(0.0, 1.0)))
    events = [cur.created_event()]
    for _ in range(8):
        tasks = cur.issue_tasks(3)
        events += tasks + cur.report([ResultIn(t.task_id, 0.3) for t in tasks]).events
    v3 = []
    for line in _lines(events):
        d = json.loads(line)
        assert "seed" not in d and "score" not in d  # nothing version 4 added is in use
        v3.append(json.dumps({**d, "schema_version": 3}))
    rebuilt = Curriculum.from_events(read_jsonl(v3))
    assert json.dumps(rebuilt.state_dict()) == json.dumps(cur.state_dict())
    state = json.loads(json.dumps(cur.state_dict()))
    del state["scorable"], state["counts"]["scores"]
    old = Curriculum.from_state_dict({**state, "format_version": 3})
    assert old.counts() == cur.counts() and old.n_scores == 0
    # results from before the upgrade take no late score; the next ones do
    with pytest.raises(TeacherError, match="older than the newest"):
        old.report_scores([ScoreIn(events[-1].task_id, 1.0)])
    (t,) = old.issue_tasks(1)
    old.report([ResultIn(t.task_id, 0.5)])
    assert old.report_scores([ScoreIn(t.task_id, 1.0)]).accepted == 1


def test_analysis_tables_show_seeds_and_scores() -> None:
    pytest.importorskip("pandas")
    from teacher.analysis import CurriculumLog

    live = _plr()
    events = _play(live, 10)
    log = CurriculumLog.from_events(events)
    tasks = [e for e in events if e.type == "task"]
    assert log.tasks["seed"].tolist() == [e.seed for e in tasks]
    scores = {e.task_id: e.score for e in events if e.type == "result"}
    scores.update({e.task_id: e.score for e in events if e.type == "score"})
    assert dict(zip(log.results["task_id"], log.results["score"], strict=True)) == scores
    assert log.replay_error is None
