"""The RLlib example in its own virtual environment (``make rllib-venv``: ray[rllib] pins
an older Gymnasium than the project's). Skipped when that environment is absent, unless
CURRICULUM_REQUIRE_RLLIB=1 (then its absence is a failure)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv-rllib" / "bin" / "python"

pytestmark = pytest.mark.ray


def test_rllib_ppo_trains_with_the_teacher_over_http(tmp_path):
    if not PYTHON.exists():
        if os.environ.get("CURRICULUM_REQUIRE_RLLIB") == "1":
            pytest.fail(f"{PYTHON} is missing: run `make rllib-venv`")
        pytest.skip("no .venv-rllib (make rllib-venv)")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [str(PYTHON), "examples/rllib_ppo_teacher.py", "--iterations", "2", "--batch", "128",
         "--max-episode-steps", "50", "--teacher", "random", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=400, env=env, cwd=REPO, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "iteration 2/2" in out.stdout
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("teacher: ") and int(last.split()[1]) > 0, out.stdout
    # every episode RLlib finished reached the teacher once
    seen = out.stdout.split("iteration 2/2")[1].split("episodes ")[1].split(",")[0]
    assert int(last.split()[1]) == int(float(seen)), out.stdout
