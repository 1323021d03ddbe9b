"""The restart part of the server benchmark: a long curriculum written straight into a
store (store operations, no server), then the time from process start to a served
request, with a full replay and from a snapshot."""

from __future__ import annotations

import dataclasses
import json
import random
import signal
import time
from pathlib import Path

import httpx
import pydantic_core

from benchmarks._load import SPACE
from curriculum.harness import ServerProcess, serve_command

__all__ = ["build_log", "restart_rows", "serve_args"]

ROOT = Path(__file__).resolve().parents[1]


def serve_args(db: Path | str, sync: str = "normal") -> list[str]:
    """``curriculum serve`` over the SQLite file ``db`` or the store URL ``db``."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return serve_command(url, "--sync", sync, "--log-level", "warning")


def build_log(db: Path, n_events: int, *, snapshot: bool) -> tuple[str, int, float]:
    """Write a default ALP-GMM curriculum of ``n_events`` events straight into a store
    (with a snapshot at its end if asked). Every due fit installs a copy of one real fit
    (the content does not change the cost of a restart), so building it takes one fit
    instead of n/500."""
    import teacher
    from server import gcpolicy, snapshots
    from server.loading import task_id_prefix
    from server.store import AppendOp, CreateOp, SnapshotOp, SQLiteStore
    from server.writer import encode_event

    gcpolicy.install()  # as in the server: building the history is like replaying it
    cid = "restart0bench"
    config = teacher.CurriculumConfig(name="restart", teacher="alp-gmm",
                                      space=teacher.TaskSpace({k: tuple(v) for k, v in
                                                               SPACE.items()}),
                                      seed=0, reward_bounds=(-150.0, 350.0))
    cur = teacher.Curriculum(config, fit_mode="defer", task_id_prefix=task_id_prefix(cid))
    created = cur.created_event()
    store = SQLiteStore(db)
    store.write([CreateOp(cid, config.name, json.dumps(config.to_json()), created.time,
                          encode_event(created))])
    rng = random.Random(0)
    template = None
    pending: list[teacher.Event] = []
    while cur.seq < n_events:
        tasks = cur.issue_tasks(min(250, max(1, (n_events - cur.seq) // 2)))
        out = cur.report([teacher.ResultIn(t.task_id, rng.uniform(-150, 350)) for t in tasks])
        pending += tasks
        pending += out.events
        request = cur.teacher.pending_fit
        if request is not None:
            template = template or teacher.run_fit(request)
            pending.append(cur.install_fit(dataclasses.replace(
                template, fit_index=request.fit_index, seed=request.seed)))
        if len(pending) >= 20_000:
            store.write([AppendOp(cid, [encode_event(e) for e in pending])])
            pending = []
    if pending:
        store.write([AppendOp(cid, [encode_event(e) for e in pending])])
    # what a snapshot costs the server: copying the state, then encoding it (as the writer)
    started = time.perf_counter()
    state = pydantic_core.to_json(snapshots.capture(cur))
    pause = time.perf_counter() - started
    if snapshot:
        store.write([SnapshotOp(cid, cur.seq, state)])
    store.close()
    return cid, cur.seq, pause


def restart_rows(workdir: Path, n_events: int,
                 full_replay: bool) -> tuple[list[list[object]], float]:
    import sqlite3

    db = workdir / "restart.db"
    t0 = time.perf_counter()
    cid, seq, pause = build_log(db, n_events, snapshot=not full_replay)
    print(f"built a log of {seq:,} events in {time.perf_counter() - t0:.0f} s", flush=True)
    size = db.stat().st_size / 2**20
    rows: list[list[object]] = []

    def snapshot_seq() -> tuple[int, float]:
        with sqlite3.connect(db) as con:
            row = con.execute("SELECT seq, LENGTH(body) FROM snapshots WHERE curriculum = ?",
                              (cid,)).fetchone()
        return (0, 0.0) if row is None else (int(row[0]), row[1] / 2**20)

    # first start: a full replay (the server then snapshots), or the snapshot just written
    snap, snap_mib = snapshot_seq()
    server = ServerProcess(serve_args(db), cwd=ROOT)
    seconds = server.start(timeout=900)
    rows.append([f"{seq:,}", f"{snap:,} ({snap_mib:.0f} MiB)" if snap else "none: full replay",
                 f"{seq - snap:,}", f"{seconds:.1f}", f"{size:.0f} MiB"])
    print(rows[-1], flush=True)
    with httpx.Client(base_url=server.url, timeout=120) as c:  # a tail after the snapshot
        for _ in range(1000):
            t = c.post(f"/v1/curricula/{cid}/tasks").json()["tasks"][0]
            c.post(f"/v1/curricula/{cid}/results",
                   json={"task_id": t["task_id"], "return": random.uniform(-150, 350)})
        tail_seq = c.get(f"/v1/curricula/{cid}").json()["seq"]
    server.stop(signal.SIGKILL)
    snap, snap_mib = snapshot_seq()
    server = ServerProcess(serve_args(db), cwd=ROOT)
    seconds = server.start(timeout=900)
    with httpx.Client(base_url=server.url, timeout=120) as c:
        c.post(f"/v1/curricula/{cid}/tasks").raise_for_status()
    server.stop(timeout=120)
    rows.append([f"{tail_seq:,}", f"{snap:,} ({snap_mib:.0f} MiB)", f"{tail_seq - snap:,}",
                 f"{seconds:.1f}", f"{size:.0f} MiB"])
    print(rows[-1], flush=True)
    return rows, pause
