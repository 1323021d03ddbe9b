"""Faults of the store, each reproduced for real: connections to PostgreSQL cut around
COMMIT by a proxy (_proxy.py), a database that goes away, a second server reaching the
same SQLite file by another path, damaged logs, a full database, a bad item in a shared
group commit, and a store written by the previous release (issue 14)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _server_testlib import create, settings_for
from fastapi.testclient import TestClient
from test_store_and_writer import CONFIG, _create_op, fresh

import teacher
from server.app import create_app
from server.errors import StoreError
from server.settings import Settings
from server.store import AppendOp, BatchDataError, EventRow, SQLiteStore
from server.writer import Writer, encode_event


def _tasks(c: TestClient, cid: str, n: int = 1) -> list[dict]:
    r = c.post(f"/v1/curricula/{cid}/tasks", json={"count": n})
    assert r.status_code == 200, r.text
    return list(r.json()["tasks"])


def _report(c: TestClient, cid: str, task: dict, value: float = 1.0) -> dict:
    r = c.post(f"/v1/curricula/{cid}/results",
               json={"results": [{"task_id": task["task_id"], "return": value}]})
    return {"status": r.status_code, **r.json()}


# -- defect 1: huge returns, and one curriculum's bad history ---------------------------------
def test_huge_unbounded_returns_give_finite_tasks_and_a_loadable_store(db_path: Path) -> None:
    """+-1e200 without reward_bounds used to issue NaN tasks, log a NaN fit, and leave a
    store that no server could load."""
    from _server_testlib import wait_for_fits

    with TestClient(create_app(settings_for(db_path))) as c:
        cid = create(c, "huge", reward_bounds=None, mastery_threshold=None)
        for i in range(40):
            (task,) = _tasks(c, cid)
            assert _report(c, cid, task, 1e200 if i % 2 else -1e200)["status"] == 200
        wait_for_fits(c, cid, 1)
        for task in _tasks(c, cid, 8):
            assert all(abs(v) < 1e9 for v in task["params"].values()), task
        seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
    with TestClient(create_app(settings_for(db_path))) as c:  # the store loads again
        assert c.get(f"/v1/curricula/{cid}").json()["seq"] == seq
        assert c.get("/healthz").json()["status"] == "ok"


def _damage(db_path: Path, sql: str, *params: object) -> None:
    con = sqlite3.connect(db_path)
    with con:
        con.execute(sql, params)
    con.close()


def test_a_damaged_curriculum_is_named_and_the_others_serve(db_path: Path) -> None:
    with TestClient(create_app(settings_for(db_path))) as c:
        good, bad, gap = (create(c, n) for n in ("good", "bad", "gap"))
        for cid in (good, bad, gap):
            for task in _tasks(c, cid, 3):
                _report(c, cid, task)
    _damage(db_path, "UPDATE events SET body = '{\"type\": \"task\"' WHERE curriculum = ? "
            "AND seq = 3", bad)
    _damage(db_path, "DELETE FROM events WHERE curriculum = ? AND seq = 2", gap)
    with TestClient(create_app(settings_for(db_path))) as c:
        # "gap" fails to load; "bad" is behind its final snapshot: the check of the log
        # the snapshot covers, run after startup, finds it
        for _ in range(200):
            health = c.get("/healthz")
            failed = {f["name"]: f["reason"] for f in health.json()["failed"]}
            if len(failed) == 2:
                break
            time.sleep(0.05)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert set(failed) == {"bad", "gap"}
        assert "event 3" in failed["bad"] and "missing" in failed["gap"]
        r = c.post(f"/v1/curricula/{bad}/tasks", json={"count": 1})
        assert r.status_code == 503 and "'bad'" in r.json()["detail"]
        assert len(_tasks(c, good, 2)) == 2  # the others serve
        assert c.post("/v1/curricula", json={"name": "gap", "teacher": "random",
                                             "space": {"a": [0, 1]}}).status_code == 503


# -- defect 4: damage behind a snapshot, empty files, the previous release's store ------------
def test_a_garbled_row_behind_a_snapshot_is_not_served(db_path: Path) -> None:
    settings = settings_for(db_path, snapshot_every=5)
    with TestClient(create_app(settings)) as c:
        cid = create(c, "snap")
        for task in _tasks(c, cid, 6):
            _report(c, cid, task)
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1
    con.close()
    # still valid JSON, a different task: only the checksum can tell
    _damage(db_path, "UPDATE events SET body = replace(body, '\"stump_height\":', "
            "'\"stump_height\": 0.5, \"x\":') WHERE curriculum = ? AND seq = 2", cid)
    with TestClient(create_app(settings)) as c:
        r = c.get(f"/v1/curricula/{cid}/events")
        assert r.status_code == 503, r.text[:200]
        assert "event 2" in r.json()["detail"] and cid in r.json()["detail"]


def test_an_empty_database_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "lost.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        SQLiteStore(empty)
    assert empty.stat().st_size == 0
    SQLiteStore(tmp_path / "new.db").close()  # a missing file is a new store


_V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE curricula (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, config TEXT NOT NULL,
    created TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE events (curriculum TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (curriculum, seq));
CREATE TABLE snapshots (curriculum TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (curriculum, seq));
INSERT INTO meta VALUES ('schema', '1');
"""


def test_a_store_of_the_previous_release_is_migrated(db_path: Path) -> None:
    """Store schema 1 (no checksums) opens, its rows load as they are, new rows get one."""
    cur = teacher.Curriculum(CONFIG, fit_mode="sync", task_id_prefix="old1-")
    events = [cur.created_event()]
    for _ in range(30):
        (task,) = cur.issue_tasks(1)
        events += [task, *cur.report([teacher.ResultIn(task.task_id, 0.3)]).events]
    con = sqlite3.connect(db_path)
    con.executescript(_V1_SCHEMA)
    with con:
        con.execute("INSERT INTO curricula VALUES ('old1', 'u', ?, ?, 1)",
                    (json.dumps(cur.config.to_json()), events[0].time))
        con.executemany("INSERT INTO events VALUES ('old1', ?, ?, ?)",
                        [(e.seq, e.type, encode_event(e).body) for e in events])
    con.close()
    with TestClient(create_app(settings_for(db_path))) as c:
        info = c.get("/v1/curricula/old1").json()
        assert info["seq"] == cur.seq
        got = _tasks(c, "old1", 2)
        assert [t["params"] for t in got] == [t.params for t in cur.issue_tasks(2)]
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == "2"
    crcs = con.execute("SELECT seq, crc FROM events ORDER BY seq").fetchall()
    con.close()
    assert all(crc is None for seq, crc in crcs if seq <= cur.seq - 2)
    assert all(crc is not None for seq, crc in crcs if seq > cur.seq - 2)


# -- defect 3: one server per database file, whatever the path --------------------------------
@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_second_path_to_the_same_sqlite_file_is_refused(tmp_path: Path, link: str) -> None:
    real = tmp_path / "real.db"
    first = SQLiteStore(real)
    first.claim(wait_s=0)
    first.write([_create_op("kept")])
    other = tmp_path / "other.db"
    if link == "symlink":
        other.symlink_to(real)
    else:
        os.link(real, other)
    try:
        # (SQLite itself may already refuse to open a hard link of a database in use)
        with pytest.raises(StoreError, match=r"already served by another process \(pid \d+"
                           r"|disk I/O error"):
            second = SQLiteStore(other)
            try:
                second.claim(wait_s=0.2)
            finally:
                second.close()
    finally:
        first.close()


# -- #15.3: a full database surfaces its real error -------------------------------------------
def test_a_full_database_reports_the_real_error_and_heals(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "full.db")
    store.write([_create_op("c")])
    pages = store._writer.execute("PRAGMA page_count").fetchone()[0]
    store._writer.execute(f"PRAGMA max_page_count = {pages}")  # as a full disk would
    big = [EventRow(2, "task", "x" * 200_000)]
    with pytest.raises(StoreError, match="full") as info:
        store.write([AppendOp("id-c", big)])
    assert "cannot rollback" not in str(info.value)
    store._writer.execute("PRAGMA max_page_count = 1073741823")  # space again
    store.write([AppendOp("id-c", big)])
    assert store.curricula()[0].last_seq == 2
    store.close()


def test_healthz_is_503_while_writes_fail(db_path: Path) -> None:
    with TestClient(create_app(settings_for(db_path))) as c:
        assert c.get("/healthz").json()["store"] == {"writable": True, "claimed": True,
                                                     "error": None}
        store = c.app.state.service.store  # type: ignore[attr-defined]
        pages = store._writer.execute("PRAGMA page_count").fetchone()[0]
        store._writer.execute(f"PRAGMA max_page_count = {pages}")
        for i in range(500):  # until the last page is full
            r = c.post("/v1/curricula", json={"name": f"fill-{i}", "teacher": "random",
                                              "space": {"a": [0, 1]}})
            if r.status_code != 201:
                break
        assert r.status_code == 503 and "full" in r.json()["detail"], r.text
        health = c.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert "full" in health.json()["store"]["error"]
        store._writer.execute("PRAGMA max_page_count = 1073741823")
        health = c.get("/healthz")
        if health.status_code == 503:  # the failure is under a second old: probe later
            time.sleep(1.1)
            health = c.get("/healthz")
        assert health.status_code == 200 and health.json()["store"]["writable"] is True


# -- #15.2: one bad item in a shared group commit fails alone ---------------------------------
def check_bad_item_fails_alone(  # type: ignore[no-untyped-def]
    store_factory, bad_name: str = "u", says: str = ""
) -> None:
    """Another curriculum's create that the store refuses (``bad_name``: by default the
    name already taken) in the same group commit as good appends: only it fails, with a
    message holding ``says``; the appends are stored."""
    store = store_factory()

    async def scenario() -> None:
        writer = Writer(store, asyncio.get_running_loop())
        cur = fresh("c-")
        await writer.create("c", "u", CONFIG, cur.created_event())
        tasks = cur.issue_tasks(3)
        bad = writer.create("b", bad_name, CONFIG, fresh("b-").created_event())
        good = writer.append("c", tasks)
        results = await asyncio.gather(bad, good, return_exceptions=True)
        assert isinstance(results[0], BatchDataError) and says in str(results[0]), results
        assert results[1] is None
        await writer.append("c", [])
        assert [r.id for r in store.curricula()] == ["c"]
        assert store.curricula()[0].last_seq == 4
        await writer.aclose()

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_bad_item_fails_alone_in_a_group_commit(tmp_path: Path) -> None:
    check_bad_item_fails_alone(lambda: SQLiteStore(tmp_path / "g.db"))


@pytest.fixture
def small_db(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "s.db"


def test_settings_snapshot_every_is_accepted() -> None:
    assert Settings(db="sqlite:///x.db", snapshot_every=5).snapshot_every == 5


# -- defect 6: SIGTERM ends followed streams cleanly -----------------------------------------
def test_sigterm_ends_followed_streams_cleanly(server_factory) -> None:  # type: ignore[no-untyped-def]
    """Followed streams used to keep the server in its graceful shutdown until the
    timeout, then be cut mid-response; they now end at an event boundary at once."""
    import threading

    import httpx

    server = server_factory(CURRICULUM_FOLLOW_HEARTBEAT_S="0.2",
                            CURRICULUM_SHUTDOWN_TIMEOUT_S="30")
    with server.client() as c:
        cid = create(c, "term")
    outcome: dict[str, object] = {}
    opened = threading.Event()

    def follow() -> None:
        lines: list[str] = []
        try:
            with httpx.Client(base_url=server.url, timeout=60.0) as c, c.stream(
                "GET", f"/v1/curricula/{cid}/events", params={"follow": "true"}
            ) as r:
                for line in r.iter_lines():
                    lines.append(line)
                    opened.set()
            outcome["lines"] = lines
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    readers = [threading.Thread(target=follow, daemon=True) for _ in range(2)]
    for t in readers:
        t.start()
    assert opened.wait(20)
    time.sleep(0.3)
    assert server.proc is not None
    server.proc.send_signal(15)
    # uvicorn re-raises the signal once shut down: killed by SIGTERM is a clean exit here
    assert server.proc.wait(25) in (0, -15)  # well inside the 30 s shutdown timeout
    for t in readers:
        t.join(10)
    assert "error" not in outcome, outcome
    assert [json.loads(x)["seq"] for x in outcome["lines"] if x] == [1]  # type: ignore[union-attr]


def test_an_immutable_database_is_reported_unwritable(db_path: Path) -> None:
    """chattr +i: the server starts, writes answer 503 with the store's error, /healthz 503
    (it used to answer 200 while every write failed)."""
    import shutil
    import subprocess

    with TestClient(create_app(settings_for(db_path))) as c:
        create(c, "before")
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(db_path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs root on ext4 or similar)")
    try:
        with TestClient(create_app(settings_for(db_path))) as c:
            r = c.post("/v1/curricula", json={"name": "after", "teacher": "random",
                                              "space": {"a": [0, 1]}})
            assert r.status_code == 503, r.text
            health = c.get("/healthz")
            assert health.status_code == 503 and health.json()["store"]["writable"] is False
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
