"""curriculum.replay_cmd.replay_command, the body of ``curriculum replay LOG --out DIR``."""

from __future__ import annotations

import pytest

from curriculum.replay_cmd import replay_command
from teacher import EventLogError
from teacher.analysis import AnalysisError


def test_replay_command_writes_every_plot_and_a_summary(toy_run, tmp_path):
    said: list[str] = []
    paths = replay_command(str(toy_run.path), str(tmp_path / "out"), gif=False, echo=said.append)
    assert sorted(p.name for p in paths) == ["alp.png", "gmm.png", "gmm_fits.png",
                                            "mastery.png", "tasks.png", "tasks_origin.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    kinds = [e.type for e in toy_run.events]
    assert said[1] == (f"  {len(kinds)} events: {kinds.count('task')} tasks, "
                       f"{kinds.count('result')} results, {kinds.count('fit')} fits, "
                       f"{kinds.count('evaluation')} evaluations")
    assert said[0].endswith("teacher alp-gmm, space (x0, x1)")


def test_replay_command_errors(toy_run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(toy_run.path.read_text()[:-40])
    with pytest.raises(EventLogError, match=r"bad\.jsonl: line \d+: not valid JSON"):
        replay_command(str(bad), str(tmp_path / "out"), echo=lambda s: None)
    said: list[str] = []
    with pytest.warns(UserWarning, match="valid events before it"):
        paths = replay_command(str(bad), str(tmp_path / "out"), gif=False, strict=False,
                               echo=said.append)
    assert paths and any("cut at line" in s for s in said)
    with pytest.raises(AnalysisError, match="unknown parameter 'z'"):
        replay_command(str(toy_run.path), str(tmp_path / "o2"), dims=("x0", "z"), gif=False,
                       echo=lambda s: None)
