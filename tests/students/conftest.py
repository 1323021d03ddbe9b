"""Fixtures for the student tests: a real teacher server (uvicorn) in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from curriculum._local import local_server
from curriculum.harness import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with local_server(tmp_path / "teacher.db", log_path=tmp_path / "server.log") as url:
        yield url


def worker_cmd(url: str, run_dir: Path, *extra: str) -> list[str]:
    """A tiny PPO worker: 30-step episodes, small rollouts."""
    return [
        sys.executable, "-m", "curriculum", "student", "--server", url,
        "--curriculum", "e2e", "--teacher-param", "fit_rate=5",
        "--algo", "ppo", "--max-episode-steps", "30", "--eval-every", "0",
        "--eval-subset", "2", "--eval-max-steps", "20", "--run-dir", str(run_dir),
        "--no-progress", *extra,
    ]


def run_worker(cmd: list[str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=REPO, check=False)


__all__ = ["free_port", "worker_cmd", "run_worker", "REPO"]
