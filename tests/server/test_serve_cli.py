"""``curriculum serve`` under bad options (issue #15.7): every error names its option,
prints no traceback, and leaves nothing behind (no directory, no store, no lock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from curriculum.harness import free_port


def serve(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m curriculum serve ARGS`` in ``cwd``; expected to exit by itself."""
    return subprocess.run(
        [sys.executable, "-m", "curriculum", "serve", "--port", str(free_port()), *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "CURRICULUM_CLAIM_WAIT_S": "0.5", **env},
    )


@pytest.mark.parametrize(("args", "env", "flag", "says"), [
    (["--sync", "fast"], {}, "--sync", "'fast' is not one of 'normal', 'full'"),
    (["--log-level", "loud"], {}, "--log-level", "'loud' is not one of"),
    (["--snapshot-every", "0"], {}, "--snapshot-every", "greater than or equal to 1"),
    (["--db", "sqlite:/x.db"], {}, "--db", "sqlite:///relative.db"),
    (["--db", "sqlite:///missing/x.db"], {}, "--db", "'missing' of the SQLite file does not"),
    (["--db", "x.db"], {"CURRICULUM_API_TOKEN": ""}, "--token", "is empty"),
    (["--db", "x.db", "--token-file", "nofile"], {}, "--token-file", "cannot be read"),
])
def test_bad_options_are_named_without_a_traceback_and_create_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], flag: str, says: str
) -> None:
    done = serve(tmp_path, *args, **env)
    assert done.returncode == 2, done.stderr
    text = " ".join(done.stderr.split()).replace("│", "")
    text = " ".join(text.split())
    assert flag in text and says in text, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no directory 'sqlite:', no 'missing/', no store


def test_a_port_in_use_is_reported_before_the_store_is_opened(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = serve(tmp_path, "--db", "sqlite:///x.db", "--port", str(port))
    assert done.returncode == 2, done.stderr
    assert f"--port: 127.0.0.1:{port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the store nor its lock


def test_a_second_server_says_why_without_a_traceback(tmp_path: Path, live_server) -> None:
    done = serve(tmp_path, "--db", live_server.db_url)
    assert done.returncode == 1, done.stderr
    assert "already served by another process" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200


def test_the_token_can_come_from_a_file(tmp_path: Path, server_factory) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    server = server_factory(CURRICULUM_API_TOKEN_FILE=str(token))
    with server.client() as c:
        assert c.get("/v1/curricula").status_code == 401
        r = c.get("/v1/curricula", headers={"Authorization": "Bearer t0ken"})
        assert r.status_code == 200


def test_help_offers_the_token_file(tmp_path: Path) -> None:
    done = serve(tmp_path, "--help")
    text = " ".join(done.stdout.replace("│", " ").split())
    assert "--token-file" in text and "process list" in text
