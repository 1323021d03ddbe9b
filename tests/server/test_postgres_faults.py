"""PostgreSQL faults, for real: a loopback proxy (_proxy.py) cuts the server's connections
just before or just after a COMMIT, or takes the database away; the claim is lost and
taken again; a value PostgreSQL cannot store fails alone in a shared group commit."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

try:
    import psycopg
except ImportError:  # a development environment without the [postgres] extra
    if os.environ.get("CURRICULUM_REQUIRE_PG") == "1":
        raise
    pytest.skip("psycopg is not installed (the [postgres] extra)", allow_module_level=True)

from _proxy import PgProxy
from _server_testlib import create
from fastapi.testclient import TestClient
from test_store_and_writer import _create_op
from test_store_faults import check_bad_item_fails_alone

from server.app import create_app
from server.errors import StoreError
from server.settings import Settings
from server.store import AppendOp, EventRow
from server.store.postgres import PostgresStore


@pytest.fixture
def proxy(pg_url: str) -> Iterator[PgProxy]:
    p = PgProxy(pg_url)
    try:
        yield p
    finally:
        p.close()


def _one_result(c: TestClient, cid: str, task: dict) -> tuple[int, dict]:
    r = c.post(f"/v1/curricula/{cid}/results",
               json={"results": [{"task_id": task["task_id"], "return": 12.5}]})
    return r.status_code, r.json()


def _stored_seqs(pg_url: str, cid: str) -> list[int]:
    with psycopg.connect(pg_url) as con:
        rows = con.execute("SELECT seq FROM events WHERE curriculum = %s ORDER BY seq",
                           (cid,)).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("where", ["after_commit", "before_commit"])
def test_a_cut_connection_around_commit_is_invisible_to_clients(
    proxy: PgProxy, pg_url: str, where: str
) -> None:
    """After COMMIT: the batch is stored, only the reply is lost; the server learns it from
    its commit token and answers 200 (it used to answer 503 and then refuse every write of
    that curriculum until restarted). Before COMMIT: nothing stored; written again."""
    with TestClient(create_app(Settings(db=proxy.url))) as c:
        cid = create(c, "cut")
        tasks = c.post(f"/v1/curricula/{cid}/tasks", json={"count": 3}).json()["tasks"]
        proxy.cut(where)
        status, body = _one_result(c, cid, tasks[0])
        assert proxy.cuts == 1
        assert status == 200, body
        assert _one_result(c, cid, tasks[0])[1]["duplicates"] == 1  # a retry: stored once
        assert _one_result(c, cid, tasks[1])[0] == 200
        seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
    assert _stored_seqs(pg_url, cid) == list(range(1, seq + 1))


def test_a_lost_commit_reply_with_the_database_gone_heals_without_restart(
    proxy: PgProxy, pg_url: str
) -> None:
    """The COMMIT applied, its reply lost, and the database unreachable at that moment:
    the request gets 503 (the outcome cannot be known); once the database is back, the
    curriculum is rebuilt from the store, committed seq included, and writes go on."""
    with TestClient(create_app(Settings(db=proxy.url))) as c:
        cid = create(c, "gone")
        tasks = c.post(f"/v1/curricula/{cid}/tasks", json={"count": 3}).json()["tasks"]
        proxy.cut("after_commit", then_down=True)
        status, body = _one_result(c, cid, tasks[0])
        assert status == 503, body
        health = c.get("/healthz")
        assert health.status_code == 503 and health.json()["store"]["writable"] is False
        proxy.up()
        assert _one_result(c, cid, tasks[0])[1]["duplicates"] == 1  # it was stored
        for task in tasks[1:]:
            assert _one_result(c, cid, task)[0] == 200
        new = c.post(f"/v1/curricula/{cid}/tasks", json={"count": 2})
        assert new.status_code == 200, new.text
        seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
        deadline = time.monotonic() + 10
        while c.get("/healthz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get("/healthz").json()["store"]["writable"] is True
    assert _stored_seqs(pg_url, cid) == list(range(1, seq + 1))


def test_the_claim_is_taken_again_after_the_session_ends(pg_url: str) -> None:
    """A database restart ends the session holding the claim: a second server can claim
    the store meanwhile; the first must then not write (it used to go on writing)."""
    first = PostgresStore(pg_url)
    first.claim(wait_s=0)
    first.write([_create_op("x")])
    with psycopg.connect(pg_url, autocommit=True) as admin:  # as a database restart would
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'curriculum-teacher' AND pid <> pg_backend_pid()")
    second = PostgresStore(pg_url)
    second.claim(wait_s=5)
    try:
        with pytest.raises(StoreError, match="lost its claim"):
            first.write([AppendOp("id-x", [EventRow(2, "task", "{}")])])
        assert not first.claim_held()
    finally:
        second.close()
    deadline = time.monotonic() + 10  # the database ends the second's session just after
    while True:
        try:
            first.write([AppendOp("id-x", [EventRow(2, "task", "{}")])])  # claim taken again
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert first.claim_held()
    assert first.curricula()[0].last_seq == 2
    first.close()


def test_a_value_postgres_cannot_store_fails_alone(pg_url: str) -> None:
    """A name holding NUL in the same group commit as another curriculum's events: only
    the offending create fails (it used to fail the whole transaction)."""
    check_bad_item_fails_alone(lambda: PostgresStore(pg_url), "bad\x00name", "NUL")


def test_a_store_of_the_previous_release_is_migrated(pg_url: str) -> None:
    """Store schema 1 (no checksum column) opens as schema 2; old rows read as they are."""
    with psycopg.connect(pg_url, autocommit=True) as con:
        for statement in (
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE curricula (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, config "
            "TEXT NOT NULL, created TEXT NOT NULL, position BIGINT GENERATED ALWAYS AS IDENTITY)",
            "CREATE TABLE events (curriculum TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT "
            "NULL, body TEXT NOT NULL, PRIMARY KEY (curriculum, seq))",
            "CREATE TABLE snapshots (curriculum TEXT NOT NULL, seq BIGINT NOT NULL, body BYTEA "
            "NOT NULL, PRIMARY KEY (curriculum, seq))",
            "INSERT INTO meta VALUES ('schema', '1')",
            "INSERT INTO curricula (id, name, config, created) VALUES ('o', 'old', '{}', 't')",
            "INSERT INTO events VALUES ('o', 1, 'created', '{}'), ('o', 2, 'task', '{}')",
        ):
            con.execute(statement)
    store = PostgresStore(pg_url)
    try:
        store.write([AppendOp("o", [EventRow(3, "task", "{}")])])
        assert [r.seq for r in store.read_events("o")] == [1, 2, 3]
        assert store.curricula()[0].n_events == 3
    finally:
        store.close()
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
        crcs = con.execute("SELECT seq, crc IS NULL FROM events ORDER BY seq").fetchall()
    assert crcs == [(1, True), (2, True), (3, False)]
