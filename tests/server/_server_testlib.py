"""Helpers for the server tests (imported by conftest.py and the test modules). Server
processes come from the one harness, :mod:`curriculum.harness`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from curriculum.harness import ServerProcess, serve_command
from server.settings import Settings

REPO = Path(__file__).resolve().parents[2]

SPACE = {"stump_height": [0.0, 3.0], "obstacle_spacing": [0.0, 6.0]}


def curriculum_body(name: str = "c", **overrides: Any) -> dict[str, Any]:
    """A valid creation body (ALP-GMM over a 2-D space); overrides replace fields."""
    body: dict[str, Any] = {
        "name": name, "teacher": "alp-gmm", "space": SPACE,
        "teacher_params": {"fit_rate": 20}, "seed": 7,
        "reward_bounds": [-150.0, 350.0], "mastery_threshold": 230.0,
    }
    body.update(overrides)
    return body


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The processes of ``pids`` still running (zombies count as gone)."""
    running = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.add(p)
    return running


def settings_for(db: Path, **kw: Any) -> Settings:
    return Settings(db=f"sqlite:///{db}", **kw)


def create(client: TestClient | httpx.Client, name: str = "c", **overrides: Any) -> str:
    r = client.post("/v1/curricula", json=curriculum_body(name, **overrides))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def wait_for_fits(client: TestClient | httpx.Client, cid: str, n: int,
                  timeout: float = 60.0) -> dict[str, Any]:
    """Ask for tasks until ``n`` fits are installed (a fit computed in the worker process
    installs at the first request after it completes) and none is being computed."""
    deadline = time.monotonic() + timeout
    while True:
        client.post(f"/v1/curricula/{cid}/tasks")
        info: dict[str, Any] = client.get(f"/v1/curricula/{cid}").json()
        if info["counts"]["fits"] >= n and not info["fitting"]["in_flight"]:
            return info
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {n} fits after {timeout} s: {info}")
        time.sleep(0.05)


class LiveServer(ServerProcess):
    """``curriculum serve`` (through curriculum.serve_cmd) in a subprocess, its output in
    ``<db>.log``; a fresh port at each start."""

    def __init__(self, db: Path, env: dict[str, str] | None = None, db_url: str | None = None):
        self.db = db
        self.db_url = db_url or f"sqlite:///{db}"
        super().__init__(serve_command(self.db_url), cwd=REPO, log=db.with_suffix(".log"),
                         env={"CURRICULUM_LOG_LEVEL": "warning", **(env or {})})

    def start(self, timeout: float = 60.0) -> LiveServer:  # type: ignore[override]
        super().start(timeout)
        return self

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, **kw)
