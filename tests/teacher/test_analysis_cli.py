"""curriculum.replay_cmd.replay_command, the body of ``curriculum replay LOG --out DIR``."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is echoed, not also raised
        paths = replay_command(str(bad), str(tmp_path / "out"), gif=False, strict=False,
                               echo=said.append)
    assert paths and [s for s in said if "warning" in s] == [
        s for s in said if "cut at line" in s]
    assert len([s for s in said if "warning" in s]) == 1
    with pytest.raises(AnalysisError, match="unknown parameter 'z'"):
        replay_command(str(toy_run.path), str(tmp_path / "o2"), dims=("x0", "z"), gif=False,
                       echo=lambda s: None)


def test_replay_cli_warns_once_and_names_a_bad_out(toy_run, tmp_path):
    """As a user sees it: --lenient printed its warning twice (Python's warning and the
    summary line); --out naming a file said only '[Errno 17] File exists'."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(toy_run.path.read_text()[:-40])
    run = [sys.executable, "-m", "curriculum", "replay", str(bad), "--no-gif"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([*run, "--lenient", "--out", str(tmp_path / "plots")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).count("not valid JSON") == 1, done.stdout + done.stderr
    a_file = tmp_path / "file.png"
    a_file.write_text("")
    done = subprocess.run([*run, "--lenient", "--out", str(a_file)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert f"--out: {str(a_file)!r} exists and is not a directory" in done.stderr
