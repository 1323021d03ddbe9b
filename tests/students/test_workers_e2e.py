"""Real uvicorn server, real worker processes, real PPO on real Box2D (tiny budgets)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from curriculum._local import local_server
from students import TeacherClient
from tests.students.conftest import REPO, free_port, run_worker, worker_cmd

pytestmark = pytest.mark.slow


def _log_checks(events: list[dict], reported: int) -> None:
    """Every finished episode reported exactly once, with the task it was issued."""
    tasks = {e["task_id"]: e["params"] for e in events if e["type"] == "task"}
    results = [e for e in events if e["type"] == "result"]
    ids = Counter(e["task_id"] for e in results)
    assert not [i for i, n in ids.items() if n > 1], "a task was reported twice"
    assert len(results) == reported
    for r in results:
        assert r["task_id"] in tasks and r["params"] == tasks[r["task_id"]]


def _score_checks(events: list[dict]) -> None:
    """PPO workers send each finished episode's positive value loss as a late score: one
    per result (every episode ends inside a rollout that completes), after it."""
    results = {e["task_id"]: e for e in events if e["type"] == "result"}
    scores = [e for e in events if e["type"] == "score"]
    assert Counter(e["task_id"] for e in scores) == Counter(list(results))
    for e in scores:
        assert e["seq"] > results[e["task_id"]]["seq"]
        assert e["params"] == results[e["task_id"]]["params"]
        assert e["score"] >= 0 and math.isfinite(e["score"])
    assert any(e["score"] > 0 for e in scores)


def test_two_workers_share_one_curriculum(server, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [
        subprocess.Popen(worker_cmd(server, tmp_path / f"w{i}", "--steps", "600", "--seed",
                                    str(i), *(["--n-envs", "2"] if i else [])),
                         cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    summaries = [json.loads((tmp_path / f"w{i}" / "summary.json").read_text()) for i in range(2)]
    assert summaries[0]["curriculum_id"] == summaries[1]["curriculum_id"]
    reported = sum(s["episodes_reported"] for s in summaries)
    assert reported >= 10
    with TeacherClient(server) as client:
        events = client.events(summaries[0]["curriculum_id"])
    _log_checks(events, reported)
    # ALP-GMM ignores scores: the PPO workers compute and send none (PLR's test below).
    assert not any(e["type"] == "score" or e.get("score") is not None for e in events)
    evals = [e for e in events if e["type"] == "evaluation"]
    assert len(evals) == 4  # two test tasks per worker, at the end, stored apart
    assert all(e["test_set"] == "paper50" and e["step"] > 0 for e in evals)
    assert sum(e["type"] == "fit" for e in events) >= 1
    for i in range(2):  # every worker run writes TensorBoard event files by default
        assert list((tmp_path / f"w{i}" / "tensorboard").rglob("events.out.tfevents.*"))


def test_plr_replays_levels_scored_by_a_ppo_worker(server, tmp_path):
    """Issue 17's end-to-end check with PLR: a PPO worker (2 environments in subprocesses)
    on a PLR curriculum; the levels it scored through the server come back as replays
    with their seeds."""
    cmd = [sys.executable, "-m", "curriculum", "student", "--server", server,
           "--curriculum", "plr-e2e", "--teacher", "plr", "--teacher-param", "buffer_size=4",
           "--algo", "ppo", "--algo-kwargs", "n_steps=64", "--algo-kwargs", "batch_size=64",
           "--n-envs", "2", "--steps", "256", "--max-episode-steps", "20",
           "--eval-every", "-1", "--no-tensorboard", "--run-dir", str(tmp_path / "w"),
           "--no-progress"]
    done = run_worker(cmd)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "w" / "summary.json").read_text())
    with TeacherClient(server) as client:
        events = client.events(summary["curriculum_id"])
    _log_checks(events, summary["episodes_reported"])
    _score_checks(events)
    tasks = [e for e in events if e["type"] == "task"]
    assert all(isinstance(t["seed"], int) for t in tasks)  # every PLR level has its seed
    scored = {e["task_id"] for e in events if e["type"] == "score"}
    levels = {(t["seed"], tuple(t["params"].values())) for t in tasks
              if t["origin"] == "new" and t["task_id"] in scored}
    replays = [t for t in tasks if t["origin"].startswith("replay:")]
    assert replays, [t["origin"] for t in tasks]
    assert all((t["seed"], tuple(t["params"].values())) in levels for t in replays)


def test_server_restarted_mid_run_loses_and_duplicates_nothing(tmp_path):
    port = free_port()
    db = tmp_path / "teacher.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with local_server(db, port=port, log_path=tmp_path / "s1.log") as url:
        worker = subprocess.Popen(
            worker_cmd(url, tmp_path / "w", "--steps", "3000"), cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        with TeacherClient(url) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                found = client.list_curricula("e2e")
                if found and client.get_curriculum(found[0]["id"])["counts"]["results"] >= 5:
                    break
                time.sleep(0.2)
            else:
                pytest.fail("the worker never reported")
    # The server is down here (stopped by the context); bring it back on the same port.
    time.sleep(1.0)
    with local_server(db, port=port, log_path=tmp_path / "s2.log") as url:
        out = worker.communicate(timeout=300)[0]
        assert worker.returncode == 0, out
        summary = json.loads((tmp_path / "w" / "summary.json").read_text())
        with TeacherClient(url) as client:
            events = client.events(summary["curriculum_id"])
    _log_checks(events, summary["episodes_reported"])


def test_server_down_at_start_is_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    done = run_worker(worker_cmd(url, tmp_path / "w", "--steps", "100"), timeout=120)
    assert done.returncode == 2
    assert f"teacher server {url} unreachable" in done.stderr
    # ... and while it retried, it said so (not 20 s of silence).
    assert f"teacher server {url}: POST /v1/curricula failed" in done.stderr
    assert "retry 1 of 8 in 0.2 s" in done.stderr


def test_bad_options_name_the_option(tmp_path):
    done = run_worker(worker_cmd("http://127.0.0.1:9", tmp_path / "w", "--algo", "dqn"))
    assert done.returncode == 2 and "--algo must be one of ['ppo', 'sac', 'td3'], got 'dqn'" in (
        done.stderr
    )


def test_local_mode_resume_and_clean_stop(tmp_path):
    run_dir = tmp_path / "local"
    base = [
        sys.executable, "-m", "curriculum", "student", "--local", "--algo", "sac",
        "--max-episode-steps", "30", "--eval-every", "0", "--eval-subset", "1",
        "--eval-max-steps", "10", "--run-dir", str(run_dir), "--no-progress",
        "--teacher-param", "fit_rate=5",
    ]
    first = run_worker([*base, "--steps", "150"])
    assert first.returncode == 0, first.stderr
    assert (run_dir / "checkpoints" / "model.zip").exists()
    assert (run_dir / "checkpoints" / "replay_buffer.pkl").exists()
    s1 = json.loads((run_dir / "summary.json").read_text())
    assert s1["steps"] == 150
    second = run_worker([*base, "--steps", "300", "--resume"])
    assert second.returncode == 0, second.stderr
    s2 = json.loads((run_dir / "summary.json").read_text())
    assert s2["steps"] == 300
    events = [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines()]
    _log_checks(events, s1["episodes_reported"] + s2["episodes_reported"])

    # SIGTERM mid-run: the worker stops cleanly, checkpoints and flushes its reports.
    env = dict(os.environ, PYTHONPATH=str(REPO))
    marker = run_dir / "curriculum.json"  # written once the worker handles signals
    marker.unlink()
    proc = subprocess.Popen([*base, "--steps", "100000", "--resume"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):  # bounded: at most ~120 s of start-up
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    s3 = json.loads((run_dir / "summary.json").read_text())
    assert s3["stopped_early"] and 300 < s3["steps"] < 100000
    events = [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines()]
    _log_checks(events, sum(s["episodes_reported"] for s in (s1, s2, s3)))
