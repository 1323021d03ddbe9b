"""``curriculum toy``: the event log carries the toy student's mastery like a real run."""

from __future__ import annotations

import pytest

from curriculum._toy import run_toy
from teacher import EvaluationEvent, read_jsonl


def test_toy_log_has_an_evaluation_round_every_1000_episodes(tmp_path):
    path, scores = run_toy("random", 2500, 3, tmp_path, {})
    evals = [e for e in read_jsonl(path) if isinstance(e, EvaluationEvent)]
    steps = sorted({e.step for e in evals})
    assert steps == [1000, 2000, 2500]  # every 1,000 episodes, and the last one
    for step, score in scores:
        round_ = [e for e in evals if e.step == step]
        assert len(round_) == 100  # one test episode per cell of the 10 x 10 grid
        assert {e.test_set for e in round_} == {"cells"}
        pct = 100.0 * sum(bool(e.mastered) for e in round_) / len(round_)
        assert pct == pytest.approx(score)  # the logged mastery is the printed score


def test_toy_evaluations_do_not_change_the_tasks(tmp_path):
    """Evaluations take sequence numbers but never reach the teacher."""
    a, _ = run_toy("alp-gmm", 1200, 1, tmp_path / "a", {"fit_rate": 100})
    b, _ = run_toy("alp-gmm", 1200, 1, tmp_path / "b", {"fit_rate": 100}, every=10**6)
    params = [[list(e.params.values()) for e in read_jsonl(p) if e.type == "task"]
              for p in (a, b)]
    assert params[0] == params[1]
