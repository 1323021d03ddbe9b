"""Per-episode scores with a teacher that uses them (PLR): a log holding result scores and
late scores replays to the live curriculum, and the analysis tables show seeds and scores.
Validation, the window of scorable results and older logs: test_scores_seeds_fits.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from teacher import (
    Curriculum,
    CurriculumConfig,
    ResultIn,
    ScoreIn,
    TaskSpace,
    ToyStudent,
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
