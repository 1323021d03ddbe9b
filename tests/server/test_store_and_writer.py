"""The SQLite store, the group-commit writer's gap-free guarantee, snapshots, store URLs,
and the import rule for clients (schemas load without FastAPI)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _server_testlib import REPO

import teacher
from server import snapshots
from server.errors import StoreConfigError, StoreError
from server.store import (
    AppendOp,
    CreateOp,
    DeleteOp,
    EventRow,
    EventStore,
    SnapshotOp,
    SQLiteStore,
    open_store,
)
from server.writer import Writer, encode_event

CONFIG = teacher.CurriculumConfig(
    name="u", teacher="alp-gmm", space=teacher.TaskSpace({"a": (0, 1), "b": (-1, 1)}),
    teacher_params={"fit_rate": 8}, seed=3, mastery_threshold=0.5,
)


def fresh(prefix: str = "c-") -> teacher.Curriculum:
    return teacher.Curriculum(CONFIG, fit_mode="defer", task_id_prefix=prefix)


def play(cur: teacher.Curriculum, n: int) -> list[teacher.Event]:
    events: list[teacher.Event] = []
    for i in range(n):
        tasks = cur.issue_tasks(2)
        events += tasks
        out = cur.report([teacher.ResultIn(tasks[0].task_id, float(i % 7) / 7)])
        events += out.events
        if cur.teacher.pending_fit is not None and i % 3 == 0:
            events.append(cur.install_fit(teacher.run_fit(cur.teacher.pending_fit)))
        if i % 10 == 0:
            events += cur.record_evaluations([teacher.EvaluationIn({"a": 0.1, "b": 0}, 0.7,
                                                                   step=i)])
    return events


def test_sqlite_store_round_trip(tmp_path: Path) -> None:
    check_store_round_trip(SQLiteStore(tmp_path / "s.db"))


def test_sqlite_claim_is_exclusive(tmp_path: Path) -> None:
    check_claim_is_exclusive(lambda: SQLiteStore(tmp_path / "s.db"))
    assert (tmp_path / "s.db.lock").exists()


def check_claim_is_exclusive(open_one: Callable[[], EventStore]) -> None:
    """Two stores over the same storage (as two server processes would hold): the second
    cannot claim while the first holds its claim, keeps its data intact, and can claim
    once the first is closed."""
    first, second = open_one(), open_one()
    try:
        first.claim(wait_s=0)
        first.claim(wait_s=0)  # claiming again is a no-op
        first.write([_create_op("kept")])
        with pytest.raises(StoreError, match=r"already served by another process \(.*pid \d+"):
            second.claim(wait_s=0.3)
        assert [c.name for c in second.curricula()] == ["kept"]  # refused, nothing lost
        first.close()
        second.claim(wait_s=5)
        second.write([AppendOp(second.curricula()[0].id, [EventRow(2, "task", "{}")])])
        assert second.curricula()[0].last_seq == 2
    finally:
        first.close()
        second.close()


def _create_op(name: str) -> CreateOp:
    return CreateOp(f"id-{name}", name, "{}", "2026-01-01T00:00:00Z", EventRow(1, "created", "{}"))


def check_store_round_trip(store: EventStore) -> None:
    """The store contract, on any backend (closes ``store``)."""
    cur = fresh()
    created = cur.created_event()
    events = play(cur, 5)
    store.write([CreateOp("c", "u", "{}", created.time, encode_event(created))])
    store.write([AppendOp("c", [encode_event(e) for e in events])])
    [rec] = store.curricula()
    assert (rec.id, rec.name, rec.last_seq) == ("c", "u", cur.seq)
    rows = store.read_events("c", after=2, upto=5)
    assert [r.seq for r in rows] == [3, 4, 5]
    assert teacher.read_jsonl([r.body for r in store.read_events("c")])[1:] == events
    with pytest.raises(StoreError):  # a seq stored twice: nothing of the batch is kept
        store.write([AppendOp("c", [EventRow(cur.seq + 1, "task", "{}"),
                                    EventRow(3, "task", "{}")])])
    assert store.curricula()[0].last_seq == cur.seq
    store.write([SnapshotOp("c", 3, b"old"), SnapshotOp("c", 5, b"new")])
    assert store.latest_snapshot("c") == (5, b"new")
    store.write([SnapshotOp("c", 5, b"newer")])  # the same seq again replaces it
    assert store.latest_snapshot("c") == (5, b"newer")
    with pytest.raises(StoreError):  # a name taken twice: nothing of the batch is kept
        store.write([CreateOp("d", "v", "{}", created.time, encode_event(created)),
                     CreateOp("e", "u", "{}", created.time, encode_event(created))])
    store.write([CreateOp("d", "v", "{}", created.time, encode_event(created))])
    assert [(r.id, r.last_seq) for r in store.curricula()] == [("c", cur.seq), ("d", 1)]
    store.write([DeleteOp("c")])
    assert [r.id for r in store.curricula()] == ["d"]
    assert store.read_events("c") == [] and store.latest_snapshot("c") is None
    store.close()


def test_open_store_urls(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/a.db", sqlite_synchronous="full")
    assert isinstance(store, SQLiteStore) and "power-loss" in store.durability
    store.close()
    open_store(str(tmp_path / "b.db")).close()
    for url, words in [("mysql://x", "scheme"), ("sqlite://relative.db", "sqlite:///")]:
        with pytest.raises(StoreConfigError, match=words):
            open_store(url)


def test_writer_keeps_logs_gap_free_after_a_failed_write(tmp_path: Path) -> None:
    check_writer_gap_free(SQLiteStore(tmp_path / "w.db"))


def check_writer_gap_free(store: EventStore) -> None:
    """The writer over any backend (closes ``store``)."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        failed: list[set[str]] = []
        writer = Writer(store, loop, on_commit=lambda _c, f: failed.append(f))
        cur = fresh()
        created = cur.created_event()
        await writer.create("c", "u", CONFIG, created)
        tasks = cur.issue_tasks(3)
        # events that skip a seq (as if an earlier write had failed) are refused
        with pytest.raises(StoreError, match="do not continue"):
            await writer.append("c", tasks[1:])
        assert failed[-1] == {"c"}
        await writer.append("c", tasks)
        # a barrier resolves once everything before it is durable
        await writer.append("c", [])
        assert store.curricula()[0].last_seq == 4
        with pytest.raises(StoreError, match="not at its log's end"):
            await writer.snapshot("c", 2, {})
        await writer.snapshot("c", 4, snapshots.capture(cur))
        await writer.aclose()
        with pytest.raises(StoreError, match="shutting down"):
            await writer.append("c", [])
        store.close()

    asyncio.run(scenario())


def test_snapshot_restore_equals_replay() -> None:
    cur = fresh()
    created = cur.created_event()
    events = [created, *play(cur, 30)]
    snap = snapshots.capture(cur)
    more = play(cur, 12)
    restored = snapshots.restore(CONFIG, snap, task_id_prefix="c-")
    for e in more:
        restored.apply(e)
    full = teacher.Curriculum.from_events(events + more, task_id_prefix="c-")
    for other in (restored, cur):
        assert other.teacher.state_dict() == full.teacher.state_dict()
        assert (other.pending, other.reported, other.counts(), other.mastery_summary()) == (
            full.pending, full.reported, full.counts(), full.mastery_summary())
    assert [e.params for e in restored.issue_tasks(5)] == [e.params for e in full.issue_tasks(5)]
    # a store from before defaults were written out: its created config and its snapshot
    # hold only the given hyper-parameters; the snapshot still restores
    assert cur.config.teacher_params != CONFIG.teacher_params
    legacy = {**snap, "curriculum": {**snap["curriculum"], "config": CONFIG.to_json()}}
    assert snapshots.restore(CONFIG, legacy, task_id_prefix="c-").config == cur.config
    other = dataclasses.replace(CONFIG, teacher_params={"fit_rate": 8, "k_range": (2, 4)})
    with pytest.raises(teacher.TeacherError, match="configuration"):
        snapshots.restore(other, snap, task_id_prefix="c-")
    with pytest.raises(teacher.TeacherError, match="snapshot"):
        snapshots.restore(CONFIG, {"format": 99}, task_id_prefix="c-")
    with pytest.raises(teacher.TeacherError, match="malformed"):
        snapshots.restore(CONFIG, {**snap, "curriculum": {**snap["curriculum"], "counts": {}}},
                          task_id_prefix="c-")


def test_schemas_import_without_fastapi() -> None:
    code = ("import sys, server, server.schemas; "
            "assert 'fastapi' not in sys.modules and 'starlette' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('fastapi', 'starlette')))")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_serve_refuses_an_unusable_store_url(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "curriculum.serve_cmd", "--db", "mysql://localhost/x"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode != 0 and "unknown scheme" in r.stderr and "mysql" in r.stderr
