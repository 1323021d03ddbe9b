"""Shared fixtures for the server tests: an in-process app (TestClient) for the HTTP
contract, and a real uvicorn process on a free loopback port for everything that needs a
process to kill and restart. Both use a real SQLite file under tmp_path; the PostgreSQL
tests a private PostgreSQL server (_pg.py) with a fresh database per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _pg
import pytest
from _server_testlib import LiveServer, settings_for
from fastapi.testclient import TestClient

from server.app import create_app


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "curricula.db"


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    """A fresh app over a fresh SQLite file, lifespan running."""
    with TestClient(create_app(settings_for(db_path))) as c:
        yield c


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for a whole module (cheaper); tests use their own curriculum names."""
    db = tmp_path_factory.mktemp("shared") / "curricula.db"
    with TestClient(create_app(settings_for(db))) as c:
        yield c


@pytest.fixture
def live_server(db_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(db_path).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def db_url(db_path: Path) -> str:
    """The store of ``server_factory``'s servers (PostgreSQL tests override it)."""
    return f"sqlite:///{db_path}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server for the whole session (see _pg.py)."""
    reason = _pg.unavailable_reason()
    if reason is not None:
        if os.environ.get("CURRICULUM_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required (CURRICULUM_REQUIRE_PG=1): {reason}")
        pytest.skip(f"PostgreSQL tests need a server: {reason}")
    with _pg.pg_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with _pg.fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def server_factory(db_path: Path, db_url: str) -> Iterator[Any]:
    """Start (and at the end kill) live servers over the same store."""
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(db_path, env=env, db_url=db_url).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.kill()
