"""The examples run as users run them (subprocesses, tiny budgets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from curriculum._local import local_server
from students.client import TeacherClient

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO, check=False)


def test_cleanrl_ppo_on_async_vector_env_with_the_teacher_over_http(tmp_path):
    with local_server(tmp_path / "t.db", log_path=tmp_path / "server.log") as url:
        out = _run(["examples/cleanrl_ppo_teacher.py", "--server", url, "--num-envs", "2",
                    "--num-steps", "64", "--total-timesteps", "256", "--teacher", "random"])
        assert out.returncode == 0, out.stderr[-3000:]
        assert "iteration 2/2" in out.stdout
        with TeacherClient(url) as client:
            (cur,) = client.list_curricula("cleanrl-cartpole")
            events = client.events(cur["id"])
    results = [e for e in events if e["type"] == "result"]
    # every episode the vector env finished was reported once, each on its own task
    last = out.stdout.strip().splitlines()[-1]
    assert last == f"teacher: {len(results)} episodes reported, 0 GMM fits"
    assert len(results) > 2
    local = int(out.stdout.split("iteration 2/2")[1].split("episodes ")[1].split(",")[0])
    assert local == len(results)  # as many as the training loop saw finish
    assert len({r["task_id"] for r in results}) == len(results)
    # each episode got its positive value loss as a late score, after its result
    scores = {e["task_id"]: e for e in events if e["type"] == "score"}
    assert scores.keys() == {r["task_id"] for r in results}
    assert all(scores[r["task_id"]]["seq"] > r["seq"] and scores[r["task_id"]]["score"] >= 0
               for r in results)


def test_in_process_teacher_example(tmp_path):
    log = tmp_path / "in_process.jsonl"
    out = _run(["examples/in_process_teacher.py", "--episodes", "60", "--log", str(log)])
    assert out.returncode == 0, out.stderr[-3000:]
    assert "bare teacher: 60 episodes, 1 fits" in out.stdout
    assert "curriculum: 60 results, 1 fits" in out.stdout
    assert "replays to a teacher that has seen 60 episodes" in out.stdout
    assert log.exists()
