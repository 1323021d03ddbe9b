"""How a worker stops: a signal ends it in seconds, with messages; a second one at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from students import TeacherClient
from students.stopping import StopNow, StopOnSignal, signals_stop
from tests.students.conftest import REPO, worker_cmd


def test_second_signal_stops_at_once_and_handlers_are_restored(capsys):
    before = signal.getsignal(signal.SIGINT)
    stop = StopOnSignal()
    skipped: list[bool] = []
    with pytest.raises(StopNow), signals_stop(stop, on_first=lambda: skipped.append(True)):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested and stop.reason == "signal SIGINT" and skipped == [True]
        os.kill(os.getpid(), signal.SIGINT)
    assert stop.reason == "signal SIGINT, twice"
    assert signal.getsignal(signal.SIGINT) is before
    err = capsys.readouterr().err
    assert "Send it again to stop at once" in err and "stopping at once" in err


@pytest.mark.slow
def test_sigint_skips_the_final_evaluation_and_says_where_things_are(server, tmp_path):
    run_dir = tmp_path / "w"
    # The whole 50-task test set at full length: the final evaluation that used to make
    # a stopped worker take a minute. A signal must skip it.
    cmd = worker_cmd(server, run_dir, "--steps", "100000", "--progress-every", "0.5")
    cmd[cmd.index("--eval-subset") + 1] = "50"
    i = cmd.index("--eval-max-steps")
    del cmd[i:i + 2]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # not a terminal: plain progress lines, no bar
        lines.append(line)
        if line.startswith("progress: step ") and "episodes" in line and (
            not line.startswith("progress: step 0/")
        ):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    out = "".join(lines) + out
    assert proc.returncode == 0, err
    assert "SIGINT received: stopping after this step" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stopped_early"] and not summary["interrupted"]
    assert summary["stop_reason"] == "signal SIGINT"
    assert summary["mastery"] == []  # the final evaluation was skipped
    assert (run_dir / "checkpoints" / "model.zip").exists()
    assert "worker stopped early (signal SIGINT) at step" in out
    assert f"checkpoint: {run_dir / 'checkpoints' / 'model.zip'}" in out
    assert "final evaluation: skipped" in out
    assert f"summary: {run_dir / 'summary.json'}" in out
    with TeacherClient(server) as client:
        events = client.events(summary["curriculum_id"])
    assert not [e for e in events if e["type"] == "evaluation"]
    results = [e for e in events if e["type"] == "result"]
    assert len(results) == summary["episodes_reported"] > 0  # all reports flushed
