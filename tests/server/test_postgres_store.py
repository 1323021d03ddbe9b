"""The PostgreSQL store against a real PostgreSQL server (see _pg.py): the store contract,
the writer, reconnection, the HTTP contract, and SIGKILL / restart of a real uvicorn
process — the same durability tests as with SQLite, through an overridden ``db_url``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import psycopg
except ImportError:  # a development environment without the [postgres] extra
    if os.environ.get("CURRICULUM_REQUIRE_PG") == "1":
        raise
    pytest.skip("psycopg is not installed (the [postgres] extra)", allow_module_level=True)

from _server_testlib import create, curriculum_body, settings_for
from fastapi.testclient import TestClient
from test_live_durability import (  # noqa: F401 - collected again here, over PostgreSQL
    test_a_second_server_on_the_same_store_refuses_to_start,
    test_sigkill_under_concurrent_load_loses_no_acknowledged_result,
)
from test_scores import check_scores_round_trip
from test_store_and_writer import (
    check_claim_is_exclusive,
    check_store_round_trip,
    check_writer_gap_free,
)

import teacher
from server.app import create_app
from server.errors import StoreError
from server.store import AppendOp, EventRow, open_store
from server.store.postgres import PostgresStore, safe_url


@pytest.fixture
def db_url(pg_url: str) -> str:
    """``server_factory`` (and the durability test imported above) use PostgreSQL."""
    return pg_url


def test_store_contract(pg_url: str) -> None:
    check_store_round_trip(PostgresStore(pg_url))


def test_claim_is_exclusive(pg_url: str) -> None:
    check_claim_is_exclusive(lambda: PostgresStore(pg_url))


def test_writer_keeps_logs_gap_free(pg_url: str) -> None:
    check_writer_gap_free(PostgresStore(pg_url))


def test_open_store_durability_and_safe_urls(pg_url: str) -> None:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    assert "synchronous_commit=" in store.durability
    store.close()
    assert safe_url("postgresql://bob:s3cret@db.example:5433/runs") == \
        "postgresql://bob@db.example:5433/runs"
    with pytest.raises(StoreError, match="cannot connect") as info:
        PostgresStore("postgresql://bob:s3cret@127.0.0.1:1/none", connect_timeout=1)
    assert "s3cret" not in str(info.value)


def test_reconnects_after_the_connection_drops(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    check = PostgresStore(pg_url)  # a second store: tables exist, schema version checked
    created = teacher.Curriculum(teacher.CurriculumConfig(
        name="r", teacher="random", space=teacher.TaskSpace({"a": (0, 1)}), seed=1,
    )).created_event()
    from server.store import CreateOp
    from server.writer import encode_event

    store.write([CreateOp("c", "r", "{}", created.time, encode_event(created))])
    with psycopg.connect(pg_url, autocommit=True) as admin:  # as a database restart would
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'curriculum-teacher' AND pid <> pg_backend_pid()")
    # The write meets the dead connection, reconnects, finds its batch not committed
    # (its commit token is absent) and writes it again on the new connection.
    store.write([AppendOp("c", [EventRow(2, "task", "{}")])])
    assert [r.seq for r in store.read_events("c")] == [1, 2]
    assert check.curricula()[0].last_seq == 2
    store.close()
    check.close()


def test_group_commit_carries_any_text_exactly(pg_url: str) -> None:
    """Appends are committed as one statement whose rows travel packed in text columns
    split on newlines; every text must come back exactly (checksums verified on read),
    whether it can be packed (quotes, backslashes, commas, tabs, CR, non-ASCII) or not
    (a newline: that batch takes the statement-per-row path), for several curricula in
    one batch; a batch with one bad row stores nothing."""
    from server.store import BatchDataError, CreateOp

    store = PostgresStore(pg_url)
    store.claim()
    store.write([CreateOp(c, c, "{}", "t", EventRow(1, "created", "{}")) for c in "ab"])
    packable = ['{"s":"it\'s \\"x\\", y"}', "\\N", "tab\there, cr\r", "é€😀", "NULL", " "]
    store.write([AppendOp("a", [EventRow(2 + i, "task", b) for i, b in enumerate(packable)]),
                 AppendOp("b", [EventRow(2, "result", "{}")])])
    store.write([AppendOp("b", [EventRow(3, "task", "line\nbreak"), EventRow(4, "x", "{}")])])
    assert [r.body for r in store.read_events("a")][1:] == packable
    assert [(r.seq, r.type, r.body) for r in store.read_events("b")][1:] == [
        (2, "result", "{}"), (3, "task", "line\nbreak"), (4, "x", "{}")]
    with pytest.raises(BatchDataError):  # b's seq 4 exists: a's event is not kept either
        store.write([AppendOp("a", [EventRow(8, "task", "{}")]),
                     AppendOp("b", [EventRow(4, "task", "{}")])])
    assert [r.last_seq for r in store.curricula()] == [7, 4]
    store.close()


def test_http_contract_over_postgres(pg_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "unused.db").model_copy(update={"db": pg_url})
    with TestClient(create_app(settings)) as client:
        cid = create(client, "pg")
        assert client.post("/v1/curricula", json=curriculum_body("pg")).status_code == 200
        tasks = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 3}).json()["tasks"]
        body = {"results": [{"task_id": t["task_id"], "return": 10.0} for t in tasks]}
        assert client.post(f"/v1/curricula/{cid}/results", json=body).json() == \
            {"accepted": 3, "duplicates": 0}
        assert client.post(f"/v1/curricula/{cid}/results", json=body).json() == \
            {"accepted": 0, "duplicates": 3}
        bad = {"task_id": tasks[0]["task_id"], "return": 11.0}
        assert client.post(f"/v1/curricula/{cid}/results", json=bad).status_code == 409
        lines = client.get(f"/v1/curricula/{cid}/events").text.splitlines()
        events = teacher.read_jsonl(lines)
        assert [e.type for e in events] == ["created", "task", "task", "task",
                                            "result", "result", "result"]
    with TestClient(create_app(settings)) as client:  # restart: loaded from PostgreSQL
        info = client.get(f"/v1/curricula/{cid}").json()
        assert info["counts"]["results"] == 3 and info["seq"] == 7
        assert client.delete(f"/v1/curricula/{cid}").status_code == 204
        assert client.get("/v1/curricula").json()["curricula"] == []


def test_scores_over_postgres_survive_a_restart(pg_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "unused.db").model_copy(update={"db": pg_url})
    with TestClient(create_app(settings)) as client:
        cid = check_scores_round_trip(client, "pg-scores")
        before = client.get(f"/v1/curricula/{cid}/events").text
    with TestClient(create_app(settings)) as client:  # loaded back from PostgreSQL
        assert client.get(f"/v1/curricula/{cid}/events").text == before
        assert client.get(f"/v1/curricula/{cid}").json()["counts"]["scores"] == 2
        url = f"/v1/curricula/{cid}/scores"
        (late,) = [e for e in teacher.read_jsonl(before.splitlines())
                   if isinstance(e, teacher.ScoreEvent)][:1]
        again = {"scores": [{"task_id": late.task_id, "score": late.score}]}
        assert client.post(url, json=again).json() == {"accepted": 0, "duplicates": 1}


def test_live_servers_here_run_on_postgres(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    assert server.db_url.startswith("postgresql://")
    with server.client() as c:
        create(c, "live")
    with psycopg.connect(server.db_url) as con:
        assert con.execute("SELECT name FROM curricula").fetchall() == [("live",)]
