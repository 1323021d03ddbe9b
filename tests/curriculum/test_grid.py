"""``curriculum grid`` on a real local Ray (127.0.0.1, 2 CPUs): a 2 × 2 grid with its
table, figure and exact replays; a worker actor SIGKILLed mid-run that Ray restarts and
that resumes from its checkpoint without duplicated results; bad specs rejected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from curriculum.grid import GridSpec, GridSpecError, load_spec, run_grid
from teacher import ResultEvent, read_jsonl

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.ray

#: Tiny budgets: PPO with short rollouts, two test tasks, short episodes.
TINY = dict(algo_kwargs={"n_steps": 128, "batch_size": 64, "n_epochs": 1},
            eval_subset=2, eval_max_steps=50, max_episode_steps=100)


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (its start-up costs seconds), on loopback only."""
    from curriculum._ray_actors import connect

    assert connect(None, num_cpus=2)
    yield
    ray.shutdown()


def test_local_ray_listens_on_loopback_only(local_ray):
    from curriculum._ray_actors import ray_addresses

    addresses = ray_addresses()
    assert addresses and set(addresses) == {"127.0.0.1"}, addresses


def test_two_by_two_grid_writes_table_and_figure_and_every_log_replays(local_ray, tmp_path):
    spec = GridSpec(teachers=["alp-gmm", "random"], seeds=[0, 1], steps=256, eval_every=128,
                    checkpoint_every=128, storage=tmp_path, **TINY)  # type: ignore[arg-type]
    lines: list[str] = []
    result = run_grid(spec, echo=lines.append, poll_seconds=2)
    assert len(result.runs) == 4
    for run in result.runs:
        assert run.error is None, run.error
        assert run.replay_ok and run.episodes > 0 and run.steps >= 256
        assert run.final_mastery is not None
        assert (tmp_path / "runs" / run.name / "events.jsonl").exists()
        assert (tmp_path / "runs" / run.name / "summary.json").exists()
    grid = tmp_path / "grid"
    table = (grid / "table.md").read_text().splitlines()
    assert len(table) == 2 + 4 and all("exact" in row for row in table[2:])
    assert (grid / "table.csv").exists() and (grid / "mastery.png").stat().st_size > 0
    assert any(line.startswith("| teacher") for line in lines)  # printed at the end


def test_killed_worker_is_restarted_and_resumes_without_duplicate_results(local_ray, tmp_path):
    spec = GridSpec(teachers=["random"], seeds=[3], steps=768, eval_every=0,
                    checkpoint_every=128, storage=tmp_path, **TINY)  # type: ignore[arg-type]
    run_dir = tmp_path / "runs" / "random-default-s3" / "worker-0"
    out: dict[str, object] = {}
    grid = threading.Thread(target=lambda: out.update(r=run_grid(spec, echo=lambda s: None)))
    grid.start()
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoints" / "model.zip").exists():  # the first checkpoint
        assert grid.is_alive() and time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(int((run_dir / "worker.pid").read_text()), signal.SIGKILL)
    grid.join(600)
    assert not grid.is_alive()
    (run,) = out["r"].runs  # type: ignore[attr-defined]
    assert run.error is None, run.error
    assert run.worker_starts == 2  # Ray restarted the actor once
    assert run.resumed_from > 0  # ... and it continued from its checkpoint
    assert run.replay_ok
    events = read_jsonl(tmp_path / "runs" / run.name / "events.jsonl")
    reported = Counter(e.task_id for e in events if isinstance(e, ResultEvent))
    assert reported and max(reported.values()) == 1  # no result counted twice
    assert run.episodes == len(reported)


@pytest.mark.parametrize(("fields", "message"), [
    ({"seeds": [0, 0]}, "seeds must be a non-empty list of distinct integers >= 0, got [0, 0]"),
    ({"workers": 0}, "workers must be an integer >= 1, got 0"),
    ({"server": "ftp://x"}, "server must be an http:// or https:// URL or null, got 'ftp://x'"),
    ({"teacher": ["random"]}, "unknown field(s) ['teacher']"),
])
def test_bad_spec_names_the_field(fields, message):
    with pytest.raises(GridSpecError) as err:
        load_spec(fields)
    assert message in str(err.value)


def test_cli_rejects_a_bad_spec_before_starting_anything(tmp_path):
    spec = tmp_path / "grid.yaml"
    spec.write_text("teachers: [random]\nsteps: -5\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-m", "curriculum", "grid", str(spec),
                           "--storage", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "steps must be an integer >= 1, got -5" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_killed_server_actor_restarts_on_its_store_and_the_worker_reconnects(
        local_ray, tmp_path):
    # Long enough that the run cannot end before the kill below (768 steps took under a
    # second on a quiet machine, so the server actor was sometimes gone already).
    spec = GridSpec(teachers=["random"], seeds=[4], steps=3072, eval_every=0,
                    checkpoint_every=1024, storage=tmp_path, **TINY)  # type: ignore[arg-type]
    starts = tmp_path / "server" / "starts.txt"
    log = tmp_path / "runs" / "random-default-s4" / "worker-0" / "curriculum.json"
    out: dict[str, object] = {}
    grid = threading.Thread(target=lambda: out.update(r=run_grid(spec, echo=lambda s: None)))
    grid.start()
    deadline = time.monotonic() + 300
    while not log.exists():  # the worker has joined its curriculum
        assert grid.is_alive() and time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(int(starts.read_text().split()[0]), signal.SIGKILL)
    grid.join(600)
    assert not grid.is_alive()
    assert len(starts.read_text().split()) == 2  # Ray restarted the server actor
    (run,) = out["r"].runs  # type: ignore[attr-defined]
    assert run.error is None, run.error
    assert run.worker_starts == 1 and run.steps >= spec.steps  # the worker rode it out
    assert run.replay_ok  # the restarted server's store holds an exact log
    events = read_jsonl(tmp_path / "runs" / run.name / "events.jsonl")
    reported = Counter(e.task_id for e in events if isinstance(e, ResultEvent))
    assert reported and max(reported.values()) == 1
