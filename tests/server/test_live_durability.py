"""Durability and exact replay against a real uvicorn process and SQLite file: SIGKILL under
concurrent load, snapshots and restarts, a failing store."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from _server_testlib import LiveServer, alive, create, descendants, settings_for
from fastapi.testclient import TestClient

import teacher
from server.app import create_app
from server.loading import load_curriculum
from server.store import SQLiteStore

StartServer = Callable[..., LiveServer]


def read_log(client: httpx.Client | TestClient, cid: str) -> tuple[list[str], list[teacher.Event]]:
    r = client.get(f"/v1/curricula/{cid}/events")
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    return lines, teacher.read_jsonl(lines)


def round_trips(client: httpx.Client | TestClient, cid: str, n: int, *, seed: int = 0) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        batch = client.post(f"/v1/curricula/{cid}/tasks",
                            json={"count": rng.randint(1, 3)}).json()["tasks"]
        body = {"results": [{"task_id": t["task_id"],
                             "return": 100.0 * t["params"]["stump_height"] + rng.random()}
                            for t in batch[: len(batch) - (rng.random() < 0.1)]]}
        if body["results"]:
            r = client.post(f"/v1/curricula/{cid}/results", json=body)
            assert r.status_code == 200, r.text


def assert_next_tasks_match_control(
    client: httpx.Client | TestClient, cid: str, count: int = 8
) -> None:
    """The server's next tasks equal those of a curriculum rebuilt from its log here."""
    before, _ = read_log(client, cid)
    got = client.post(f"/v1/curricula/{cid}/tasks", json={"count": count}).json()["tasks"]
    after, events = read_log(client, cid)
    assert after[: len(before)] == before  # the log only grows
    new = events[len(before):]
    first_task = next(i for i, e in enumerate(new) if isinstance(e, teacher.TaskEvent))
    # A fit that completed meanwhile installs at this request, before its tasks.
    assert all(isinstance(e, teacher.FitEvent) for e in new[:first_task])
    control = teacher.Curriculum.from_events(
        events[: len(before) + first_task], task_id_prefix=f"{cid}-"
    )
    expected = control.issue_tasks(count)
    assert [(t["task_id"], t["params"], t["origin"]) for t in got] == [
        (e.task_id, e.params, e.origin) for e in expected
    ]


#: Teachers whose fits the server runs in its worker processes: a mixture (ALP-GMM) and a
#: network logged as weights (GoalGAN; tiny nets, every labelled task positive so GAN fits
#: come every 10 labels: returns above 100 count as successes).
KILLED = {
    "alp-gmm": {"fit_rate": 20},
    "goal-gan": {"update_size": 10, "goid_lb": 0.0, "goid_ub": 1.0, "success_threshold": 0.5,
                 "generator_layers": [16], "discriminator_layers": [16], "gan_iterations": 20,
                 "pretrain_iterations": 20, "batch_size": 16},
}


@pytest.mark.slow
@pytest.mark.parametrize("teacher_name", list(KILLED))
def test_sigkill_under_concurrent_load_loses_no_acknowledged_result(
    server_factory: StartServer, teacher_name: str
) -> None:
    if teacher_name == "goal-gan":
        pytest.importorskip("torch")
    server = server_factory(CURRICULUM_SNAPSHOT_EVERY="300")
    with server.client() as c:
        cid = create(c, "kill", teacher=teacher_name, teacher_params=KILLED[teacher_name],
                     seed=11)
    acked: dict[str, float] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def student(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=server.url, timeout=10.0) as c:
            try:
                while not stop.is_set():
                    tasks = c.post(f"/v1/curricula/{cid}/tasks",
                                   json={"count": rng.randint(1, 4)}).json()["tasks"]
                    results = [{"task_id": t["task_id"], "worker": f"s{k}",
                                "return": 200.0 * t["params"]["stump_height"] / 3 + rng.random()}
                               for t in tasks if rng.random() > 0.05]
                    if not results:
                        continue
                    body = results[0] if len(results) == 1 else {"results": results}
                    r = c.post(f"/v1/curricula/{cid}/results", json=body)
                    if r.status_code == 200:
                        with lock:
                            acked.update({x["task_id"]: x["return"] for x in results})
            except (httpx.HTTPError, ValueError):
                pass  # the server died under us

    threads = [threading.Thread(target=student, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    def durable_fits(c: httpx.Client) -> int:
        # The log endpoint serves durable events only; the curriculum's counts also include
        # a fit installed by a request whose events are still being committed.
        return sum(isinstance(e, teacher.FitEvent) for e in read_log(c, cid)[1])

    deadline = time.monotonic() + 120
    with server.client() as c:  # a neural fit's first run in a worker imports torch
        while time.monotonic() < deadline and (len(acked) < 600 or durable_fits(c) < 2):
            time.sleep(0.2)
    assert server.proc is not None
    helpers = descendants(server.proc.pid)  # the forkserver and the fit worker
    assert helpers, "fits should run in worker processes"
    server.kill()  # SIGKILL while the students are mid-request
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acked) >= 600
    deadline = time.monotonic() + 10
    while alive(helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(helpers), "fit workers outlived the killed server"

    restarted = server_factory()
    with restarted.client() as c:
        _, events = read_log(c, cid)
        logged = {e.task_id: e.episode_return for e in events
                  if isinstance(e, teacher.ResultEvent)}
        missing = [tid for tid in acked if tid not in logged]
        assert not missing, f"{len(missing)} acknowledged results lost"
        assert all(logged[tid] == ret for tid, ret in acked.items())
        assert sum(isinstance(e, teacher.FitEvent) for e in events) >= 2
        teacher.Curriculum.from_events(events)  # the whole log replays without divergence
        info = c.get(f"/v1/curricula/{cid}").json()
        assert info["seq"] == len(events)
        assert info["counts"]["results"] == len(logged)
        assert_next_tasks_match_control(c, cid)
        round_trips(c, cid, 20)  # and it keeps going
        assert_next_tasks_match_control(c, cid)


def test_snapshot_and_restart_equal_full_replay(
    server_factory: StartServer, db_path: Path
) -> None:
    server = server_factory(CURRICULUM_SNAPSHOT_EVERY="100")
    with server.client() as c:
        cid = create(c, "snap", teacher_params={"fit_rate": 10}, seed=5)
        round_trips(c, cid, 60)
        p = {"stump_height": 1.0, "obstacle_spacing": 1.0}
        c.post(f"/v1/curricula/{cid}/evaluations",
               json={"evaluations": [{"params": p, "return": 300.0, "step": 1}]})
        before = c.get(f"/v1/curricula/{cid}").json()
    server.stop()  # graceful: a final snapshot at the end of the log
    with sqlite3.connect(db_path) as con:
        (snap_seq,) = con.execute("SELECT MAX(seq) FROM snapshots").fetchone()
    assert snap_seq == before["seq"]

    server = server_factory()
    with server.client() as c:
        after = c.get(f"/v1/curricula/{cid}").json()
        for key in ("seq", "counts", "last_fit_time", "gmm", "mastery", "latest_mastery_pct"):
            assert after[key] == before[key], key
        assert_next_tasks_match_control(c, cid)
        round_trips(c, cid, 40, seed=1)
        seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
    server.kill()  # this time the tail after the last snapshot must be replayed

    store = SQLiteStore(db_path)
    try:
        [record] = store.curricula()
        loaded = load_curriculum(store, record)
        assert 0 < loaded.snapshot_seq < seq and loaded.replayed == seq - loaded.snapshot_seq
        full = teacher.Curriculum.from_events(
            teacher.read_jsonl([r.body for r in store.read_events(cid, limit=10**6)]),
            task_id_prefix=f"{cid}-",
        )
        snap = loaded.curriculum
        assert snap.teacher.state_dict() == full.teacher.state_dict()
        assert (snap.seq, snap.pending, snap.reported, snap.counts(), snap.mastery_summary(),
                snap.last_fit_time) == (full.seq, full.pending, full.reported, full.counts(),
                                        full.mastery_summary(), full.last_fit_time)
    finally:
        store.close()

    server = server_factory()
    with server.client() as c:
        assert c.get(f"/v1/curricula/{cid}").json()["seq"] == seq
        assert_next_tasks_match_control(c, cid)


def test_follow_streams_new_events_until_the_curriculum_goes(
    server_factory: StartServer,
) -> None:
    server = server_factory(CURRICULUM_FOLLOW_HEARTBEAT_S="0.2")
    with server.client() as c:
        cid = create(c, "follow")
    lines: list[str] = []
    ended = threading.Event()

    def follow() -> None:
        with httpx.Client(base_url=server.url, timeout=30.0) as c, c.stream(
            "GET", f"/v1/curricula/{cid}/events", params={"follow": "true", "after": 0}
        ) as r:
            assert r.headers["content-type"].startswith("application/x-ndjson")
            for line in r.iter_lines():
                lines.append(line)
        ended.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    with server.client() as c:
        round_trips(c, cid, 5)
        seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(1 for x in lines if x) < seq:
            time.sleep(0.05)
        time.sleep(0.5)  # idle: heartbeats (empty lines) keep the stream alive
        events = teacher.read_jsonl(list(lines))
        assert [e.seq for e in events] == list(range(1, seq + 1))
        assert "" in lines
        round_trips(c, cid, 1)
        seq2 = c.get(f"/v1/curricula/{cid}").json()["seq"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(1 for x in lines if x) < seq2:
            time.sleep(0.05)
        assert sum(1 for x in lines if x) == seq2
        assert c.delete(f"/v1/curricula/{cid}").status_code == 204
    assert ended.wait(10), "the stream did not end when its curriculum was deleted"


def test_many_curricula_concurrently_stay_isolated(server_factory: StartServer) -> None:
    server = server_factory()
    with server.client() as c:
        ids = [create(c, f"iso-{i}", teacher_params={"fit_rate": 15}, seed=i) for i in range(4)]
    errors: list[BaseException] = []

    def student(cid: str, k: int) -> None:
        try:
            with server.client() as c:
                round_trips(c, cid, 25, seed=k)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=student, args=(cid, 10 * i + k))
               for i, cid in enumerate(ids) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    all_ids: list[str] = []
    with server.client() as c:
        for i, cid in enumerate(ids):
            _, events = read_log(c, cid)
            assert isinstance(events[0], teacher.CreatedEvent)
            assert events[0].config.name == f"iso-{i}" and events[0].config.seed == i
            rebuilt = teacher.Curriculum.from_events(events, task_id_prefix=f"{cid}-")
            assert rebuilt.counts() == c.get(f"/v1/curricula/{cid}").json()["counts"]
            all_ids += [e.task_id for e in events if isinstance(e, teacher.TaskEvent)]
            assert_next_tasks_match_control(c, cid)
        assert len(all_ids) == len(set(all_ids))  # task ids are unique across the server
        # a task of one curriculum is unknown to another
        r = c.post(f"/v1/curricula/{ids[1]}/results",
                   json={"task_id": all_ids[0], "return": 1.0})
        assert r.status_code == 422


def test_a_failed_store_write_is_503_and_memory_does_not_diverge(db_path: Path) -> None:
    app = create_app(settings_for(db_path, sqlite_busy_timeout_ms=100))
    with TestClient(app) as client:
        cid = create(client, "fail", teacher_params={"fit_rate": 10})
        round_trips(client, cid, 10)
        good, _ = read_log(client, cid)
        pending = client.get(f"/v1/curricula/{cid}").json()["counts"]["pending"]
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the file
        try:
            r = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 3})
            assert r.status_code == 503, r.text
            assert "store" in r.json()["detail"]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        lines, _ = read_log(client, cid)
        assert lines == good  # nothing of the failed request was stored
        after_failure = client.get(f"/v1/curricula/{cid}").json()
        assert after_failure["seq"] == len(good)  # rebuilt from the store
        assert after_failure["counts"]["pending"] == pending
        assert_next_tasks_match_control(client, cid)
        round_trips(client, cid, 10, seed=3)
        _, events = read_log(client, cid)
        teacher.Curriculum.from_events(events)


def test_a_second_server_on_the_same_store_refuses_to_start(server_factory: StartServer) -> None:
    """One store, one server: a second one exits at startup naming the holder, the first
    serves on undisturbed, and once it is killed its claim ends with it."""
    first = server_factory()
    with first.client() as c:
        create(c, "mine")
    with pytest.raises(RuntimeError, match="already served by another process"):
        server_factory(CURRICULUM_CLAIM_WAIT_S="0.5")
    with first.client() as c:
        assert [x["name"] for x in c.get("/v1/curricula").json()["curricula"]] == ["mine"]
    first.kill()
    second = server_factory(CURRICULUM_CLAIM_WAIT_S="10")
    with second.client() as c:
        assert [x["name"] for x in c.get("/v1/curricula").json()["curricula"]] == ["mine"]
