"""Every README code block runs as written (issue #22): each Python block on its own in a
fresh interpreter, and the shell lines that start the teacher server."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from curriculum._local import local_server
from curriculum.harness import free_port

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SERVER = "http://127.0.0.1:8000"


def blocks(lang: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block of ``lang``."""
    out = []
    for m in re.finditer(rf"^```{lang}\n(.*?)^```", README, flags=re.M | re.S):
        out.append((README[: m.start()].count("\n") + 1, m.group(1)))
    return out


def _env() -> dict[str, str]:
    """The README's set-up: the venv active (its bin first on PATH), this checkout."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}


def test_the_readme_has_python_blocks() -> None:
    assert len(blocks("python")) >= 3


@pytest.mark.parametrize(("line", "code"), blocks("python"),
                         ids=[f"README.md:{n}" for n, _ in blocks("python")])
def test_python_block_runs_on_its_own(line: int, code: str, tmp_path: Path) -> None:
    # A fresh interpreter per block, in a directory like a fresh clone's root (no runs/
    # yet; outputs land in tmp_path, not in the checkout). A block that talks to the
    # Quickstart's server (http://127.0.0.1:8000) gets one, on a free port.
    with contextlib.ExitStack() as stack:
        if SERVER in code:
            url = stack.enter_context(local_server(tmp_path / "teacher.db"))
            code = code.replace(SERVER, url)
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                              capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"README.md:{line} failed:\n{done.stderr[-3000:]}"


def _serve_lines() -> list[str]:
    lines = []
    for _, code in blocks("bash"):
        for raw in code.splitlines():
            cmd = raw.split("  #")[0].strip()
            if "curriculum serve" in cmd and "postgresql://" not in cmd:
                lines.append(cmd)
    return lines


@pytest.mark.parametrize("cmd", _serve_lines())
def test_shell_line_starting_a_server_works(cmd: str, tmp_path: Path) -> None:
    """The same command, on a free port, in a fresh directory: the server answers."""
    port = free_port()
    line = re.sub(r"--port \d+", f"--port {port}", cmd).replace("0.0.0.0", "127.0.0.1")
    proc = subprocess.Popen(["bash", "-c", line], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert proc.poll() is None, f"{cmd!r} exited:\n{proc.communicate()[0]}"
        assert httpx.get(f"http://127.0.0.1:{port}/ui", timeout=5).status_code == 200
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
    assert "serving 0 curricula from" in out, out
