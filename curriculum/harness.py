"""A server in a child process on a free loopback port: start it, wait until it answers
``/healthz``, stop it. The one harness used by the CLI (``curriculum/_local.py``), the
tests and the benchmarks.

The command is ``curriculum serve`` by default (:func:`serve_command`); any command
serving HTTP on ``127.0.0.1:{port}`` works (``{port}`` in an argument is replaced).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

__all__ = ["ServerProcess", "free_port", "serve_command"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(db_url: str, *extra: str) -> list[str]:
    """``curriculum serve`` on 127.0.0.1:{port} over the store ``db_url``."""
    return [sys.executable, "-m", "curriculum.serve_cmd", "--host", "127.0.0.1",
            "--port", "{port}", "--db", db_url, *extra]


class ServerProcess:
    """One server child process (start again after a stop for a restart).

    args: the command; ``{port}`` is replaced by ``port`` (a free one when None, a fresh
    one at each start). env: added to this process's environment. log: file that gets
    the child's output, appended; None keeps it in a temporary file, quoted on failure.
    new_session: start the child in its own session (a Ctrl-C at the terminal then
    reaches only this process, which stops the child itself). healthy: the ``/healthz``
    statuses that count as started (503: up, with its store unwritable).
    """

    def __init__(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None, log: Path | None = None, port: int | None = None,
        new_session: bool = False, healthy: Collection[int] = (200,),
    ):
        self.template = list(args)
        self.env = dict(env or {})
        self.cwd = cwd
        self.log = log
        self.new_session = new_session
        self.healthy = tuple(healthy)
        self._fixed_port = port
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def args(self) -> list[str]:
        return [a.replace("{port}", str(self.port)) for a in self.template]

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server was never started")
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait until ``/healthz`` answers (200); returns the seconds it took.
        Raises RuntimeError (with the end of the output) if the child exits first or
        does not answer within ``timeout``."""
        if self.proc is not None:  # a restart: a fresh port unless one was given
            self._close_out()
            self.port = self._fixed_port or free_port()
        # Appending: the child writes at the end while logs() reads from the start.
        if self.log is not None:
            self._out = open(self.log, "ab")  # noqa: SIM115 - held while the child runs
        else:
            self._out = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - likewise
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.args, cwd=self.cwd, env={**os.environ, **self.env}, stdout=self._out,
            stderr=subprocess.STDOUT, start_new_session=self.new_session,
        )
        while time.perf_counter() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self.proc.returncode} at start:\n"
                    f"{self.logs()[-4000:]}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code in self.healthy:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(
            f"the server did not answer on {self.url} within {timeout} s:\n{self.logs()[-4000:]}"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Send ``sig`` (graceful shutdown by default) and wait; SIGKILL after ``timeout``."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def logs(self) -> str:
        """What the child wrote so far."""
        if self.log is not None:
            return self.log.read_text(errors="replace") if self.log.exists() else ""
        if self._out is None or self._out.closed:
            return ""
        self._out.flush()
        self._out.seek(0)
        return self._out.read().decode(errors="replace")

    def close(self) -> None:
        """Stop the child and release its output file."""
        self.stop()
        self._close_out()

    def _close_out(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServerProcess({self.url}, pid={self.proc.pid if self.proc else None})"

    def __del__(self) -> None:  # pragma: no cover - best effort when a test forgets
        out: Any = getattr(self, "_out", None)
        if out is not None and not out.closed:
            out.close()
