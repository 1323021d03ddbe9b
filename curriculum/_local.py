"""Start a teacher server as a child process on a free loopback port (for the CLI)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from curriculum.harness import ServerProcess


@contextlib.contextmanager
def local_server(
    db_path: Path, *, port: int | None = None, log_path: Path | None = None,
    token: str | None = None, startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run ``curriculum serve`` with its SQLite file at ``db_path``; yields its URL and
    stops it (SIGTERM, then SIGKILL) on exit. If this process is killed first, the server
    notices within a second that its parent is gone and stops itself."""
    cmd = [sys.executable, "-m", "curriculum", "serve", "--host", "127.0.0.1",
           "--port", "{port}", "--db", f"sqlite:///{db_path}"]
    # The server stops by itself if this process dies without stopping it (SIGKILL).
    env = {"CURRICULUM_PARENT_PID": str(os.getpid())}
    if token:
        env["CURRICULUM_API_TOKEN"] = token
    server = ServerProcess(cmd, env=env, log=log_path, port=port, new_session=True)
    try:
        server.start(timeout=startup_timeout)
        yield server.url
    finally:
        server.stop(timeout=15)
        server.close()
