"""A server the CLI starts for itself (``curriculum student --local`` and the examples,
through ``curriculum._local.local_server``) never outlives the process that started it,
even when that process is SIGKILLed and cannot stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]

# The "student": starts a local server, writes its URL, then waits to be killed.
STUDENT = """
import sys, time
from pathlib import Path
from curriculum._local import local_server

with local_server(Path(sys.argv[1])) as url:
    part = Path(sys.argv[2] + ".part")
    part.write_text(url)
    part.rename(sys.argv[2])
    time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(c) for c in text.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its new parent) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_a_local_server_stops_when_its_starter_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    pid = 0
    student = subprocess.Popen([sys.executable, "-c", STUDENT, str(tmp_path / "t.db"),
                                str(ready)], cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and student.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), "the local server did not start"
        url = ready.read_text()
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        (pid,) = _children(student.pid)  # the server
        student.send_signal(signal.SIGKILL)
        student.wait(30)
        deadline = time.monotonic() + 60
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(pid), "the server outlived the process that started it"
    finally:
        if student.poll() is None:
            student.kill()
        if pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)
