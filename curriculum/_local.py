"""Start a teacher server as a child process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_server(
    db_path: Path, *, port: int | None = None, log_path: Path | None = None,
    token: str | None = None, startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run ``curriculum serve`` with its SQLite file at ``db_path``; yields its URL and
    stops it (SIGTERM, then SIGKILL) on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "curriculum", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--db", f"sqlite:///{db_path}"]
    env = dict(os.environ)
    if token:
        env["CURRICULUM_API_TOKEN"] = token
    out: Any = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the teacher server exited with code {proc.returncode} at start"
                    + (f"; see {log_path}" if log_path else "")
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the teacher server did not answer on {url} in time")
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if out is not subprocess.DEVNULL:
            out.close()
