"""Teacher server benchmark (``make bench-server``): load and restart.

Load: a real uvicorn server (``curriculum serve``, SQLite store, default ALP-GMM) is driven
by ``wrk`` with a Lua script in which every simulated student does task -> result round
trips: (a) one curriculum with 1, 16 and 64 students, (b) 16 curricula with 4 students
each, (c) 64 students with SQLite ``synchronous=FULL``. Next to each row, the same load
on a bare FastAPI endpoint pair (same schemas, no teacher, no store) measured in the same
run is the ceiling. After each run the logs are reconciled: every acknowledged result is
in the store (count-based; the test suite checks ids), and each log replays exactly.

Restart: a curriculum with 10^6 events is written to a store, then the time from process
start to a served request is measured with a full replay and with a snapshot.

Without ``wrk`` (``apt-get install -y wrk``) a multi-process Python client is used; it
saturates sooner, so the numbers then describe the client as much as the server.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from typing import Annotated  # noqa: E402

from fastapi import Body, FastAPI  # noqa: E402

from server.schemas import (  # noqa: E402
    ReportOut,
    ResultBatchIn,
    ResultsBody,
    TaskOut,
    TasksOut,
    TasksRequest,
)


def create_bare_app() -> FastAPI:
    """The ceiling: the same request and response schemas, no teacher, no store."""
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False,
                             "operation_spans": False})
    counter = {"n": 0}

    @app.post("/v1/curricula/{curriculum_id}/tasks")
    async def tasks(curriculum_id: str, body: TasksRequest | None = None) -> TasksOut:
        out = []
        for _ in range(body.count if body else 1):
            counter["n"] += 1
            out.append(TaskOut(task_id=f"{curriculum_id}-{counter['n']}",
                               params={"stump_height": 1.5, "obstacle_spacing": 3.0},
                               origin="bootstrap"))
        return TasksOut(tasks=out)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/curricula/{curriculum_id}/results")
    async def results(curriculum_id: str, body: Annotated[ResultsBody, Body()]) -> ReportOut:
        items = body.results if isinstance(body, ResultBatchIn) else [body]
        return ReportOut(accepted=len(items), duplicates=0)

    return app


# ---------------------------------------------------------------------------------------------
# Everything below runs only in the benchmark process.

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pydantic_core  # noqa: E402

LUA = r"""
-- Each student (connection) alternates POST tasks / POST results. wrk gives no
-- connection identity to request(), so each thread keeps a queue of issued task ids:
-- a task response queues its id, the next request of any connection reports it.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  cid = args[(index % #args) + 1]
  queue = {}
  tasks_ok, results_ok, errors = 0, 0, 0
  tasks_path = "/v1/curricula/" .. cid .. "/tasks"
  results_path = "/v1/curricula/" .. cid .. "/results"
  headers = {["Content-Type"] = "application/json"}
  math.randomseed(index + 1)
end
function request()
  local n = #queue
  if n > 0 then
    local tid = queue[n]
    queue[n] = nil
    local ret = string.format("%.3f", math.random() * 500 - 150)
    return wrk.format("POST", results_path, headers,
                      '{"task_id":"' .. tid .. '","return":' .. ret .. '}')
  end
  return wrk.format("POST", tasks_path, headers, nil)
end
function response(status, hdrs, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  local tid = string.match(body, '"task_id":"([^"]+)"')
  if tid then
    queue[#queue + 1] = tid
    tasks_ok = tasks_ok + 1
  else
    results_ok = results_ok + 1
  end
end
function done(summary, latency, requests)
  local t, r, e = 0, 0, 0
  for _, thread in ipairs(threads) do
    t = t + thread:get("tasks_ok")
    r = r + thread:get("results_ok")
    e = e + thread:get("errors")
  end
  io.write(string.format(
    'RESULT {"tasks_ok":%d,"results_ok":%d,"errors":%d,"requests":%d,"duration_us":%d,' ..
    '"p50_us":%d,"p99_us":%d,"socket_errors":%d}\n',
    t, r, e, summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""

SPACE = {"stump_height": [0.0, 3.0], "obstacle_spacing": [0.0, 6.0]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A server subprocess on a free port, ready once /healthz answers."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.port = free_port()
        self.args = [a.replace("{port}", str(self.port)) for a in args]
        self.env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                    **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 900.0) -> float:
        """Start; returns seconds until /healthz answered."""
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"{self.args} exited: {err[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.HTTPError:
                time.sleep(0.02)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve_args(db: Path | str, sync: str = "normal") -> list[str]:
    """``curriculum serve`` over the SQLite file ``db`` or the store URL ``db``."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return [sys.executable, "-m", "curriculum.serve_cmd", "--port", "{port}",
            "--db", url, "--sync", sync, "--log-level", "warning"]


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    """A fresh database on a private PostgreSQL server (default settings, fsync on) started
    like the test suite's (tests/server/_pg.py), or None where none can be started."""
    sys.path.insert(0, str(ROOT / "tests" / "server"))
    import _pg

    if _pg.unavailable_reason() is not None:
        print(f"no PostgreSQL row: {_pg.unavailable_reason()}", file=sys.stderr)
        yield None
        return
    with _pg.pg_server(fsync=True) as admin, _pg.fresh_database(admin) as url:
        yield url


def bare_args() -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.bench_server:create_bare_app",
            "--port", "{port}", "--log-level", "warning", "--no-access-log"]


# -- load generation ------------------------------------------------------------------------------
@dataclass
class Load:
    round_trips: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.round_trips / self.seconds


def wrk_load(url: str, cids: list[str], connections: int, seconds: int) -> Load:
    threads = len(cids) if len(cids) > 1 else min(2, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA)
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", script, url, "--", *cids],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script)
    match = re.search(r"^RESULT (.*)$", out, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(match.group(1))
    return Load(r["results_ok"], r["requests"], r["errors"] + r["socket_errors"],
                r["duration_us"] / 1e6, r["p50_us"] / 1e3, r["p99_us"] / 1e3)


async def _py_student(host: str, port: int, cid: str, until: float,
                      lat: list[float]) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    done = errors = 0

    async def post(path: str, body: bytes) -> bytes:
        t0 = time.perf_counter()
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        data = await reader.readexactly(length)
        lat.append(time.perf_counter() - t0)
        return head[9:12] + b" " + data

    while time.perf_counter() < until:
        r = await post(f"/v1/curricula/{cid}/tasks", b"")
        if not r.startswith(b"200"):
            errors += 1
            continue
        tid = json.loads(r[4:])["tasks"][0]["task_id"]
        body = json.dumps({"task_id": tid, "return": random.uniform(-150, 350)}).encode()
        r = await post(f"/v1/curricula/{cid}/results", body)
        if r.startswith(b"200"):
            done += 1
        else:
            errors += 1
    writer.close()
    return done, errors


def _py_worker(url: str, cids: list[str], seconds: float, q: Any) -> None:
    host, port = url.rsplit("//", 1)[1].split(":")
    lat: list[float] = []
    until = time.perf_counter() + seconds

    async def run() -> list[tuple[int, int]]:
        return await asyncio.gather(*[_py_student(host, int(port), c, until, lat) for c in cids])

    res = asyncio.run(run())
    q.put((sum(d for d, _ in res), sum(e for _, e in res), lat))


def python_load(url: str, cids: list[str], connections: int, seconds: int) -> Load:
    per_student = [cids[i % len(cids)] for i in range(connections)]
    procs = min(2, connections)
    q: Any = multiprocessing.get_context("spawn").Queue()
    workers = [multiprocessing.get_context("spawn").Process(
        target=_py_worker, args=(url, per_student[i::procs], seconds, q)) for i in range(procs)]
    for w in workers:
        w.start()
    parts = [q.get() for _ in workers]
    for w in workers:
        w.join()
    lat = sorted(x for _, _, ls in parts for x in ls)
    pick = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3) if lat else (lambda p: 0)
    return Load(sum(d for d, _, _ in parts), len(lat), sum(e for _, e, _ in parts), seconds,
                pick(0.5), pick(0.99))


def load(url: str, cids: list[str], connections: int, seconds: int) -> Load:
    if shutil.which("wrk"):
        return wrk_load(url, cids, connections, seconds)
    return python_load(url, cids, connections, seconds)


# -- scenarios ------------------------------------------------------------------------------------
def create_curricula(url: str, prefix: str, n: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(n):
            r = c.post("/v1/curricula", json={
                "name": f"{prefix}-{i}", "teacher": "alp-gmm", "space": SPACE,
                "teacher_params": {}, "seed": i, "reward_bounds": [-150, 350],
            })
            r.raise_for_status()
            ids.append(r.json()["id"])
    return ids


@dataclass
class Reconciled:
    logged_results: int
    fits: int
    coalesced: int
    behind: int
    replay_ok: bool


def reconcile(url: str, cids: list[str]) -> Reconciled:
    import teacher

    time.sleep(1.0)  # requests in flight when the load generator stopped
    logged = fits = coalesced = behind = 0
    replay_ok = True
    with httpx.Client(base_url=url, timeout=300) as c:
        for cid in cids:
            events = teacher.read_jsonl(c.get(f"/v1/curricula/{cid}/events").text.splitlines())
            logged += sum(isinstance(e, teacher.ResultEvent) for e in events)
            try:
                rebuilt = teacher.Curriculum.from_events(events, task_id_prefix=f"{cid}-")
            except teacher.TeacherError:
                replay_ok = False
                continue
            info = c.get(f"/v1/curricula/{cid}").json()
            replay_ok &= rebuilt.counts() == info["counts"]
            fits += info["counts"]["fits"]
            coalesced += info["fitting"]["coalesced"]
            behind += info["fitting"]["behind"]
    return Reconciled(logged, fits, coalesced, behind, replay_ok)


def mean_fit_ms(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    total = re.search(r"^curriculum_fit_duration_seconds_sum (\S+)", text, re.M)
    count = re.search(r"^curriculum_fit_duration_seconds_count (\S+)", text, re.M)
    if not total or not count or float(count.group(1)) == 0:
        return float("nan")
    return 1e3 * float(total.group(1)) / float(count.group(1))


SCENARIOS = ("a1", "a16", "a64", "b", "c", "d")


def load_rows(workdir: Path, seconds: int, pg_url: str | None,
              repeats: int, only: tuple[str, ...] = SCENARIOS
              ) -> tuple[list[list[object]], list[str]]:
    """Each row ``repeats`` times, alternating the bare ceiling and the server (each
    repetition on fresh curricula); rates and latencies are medians over repetitions,
    the share of the ceiling the median of the back-to-back ratios (min-max beside it),
    counts are totals."""
    bare = Proc(bare_args())
    bare.start()
    servers = {sync: Proc(serve_args(workdir / f"load-{sync}.db", sync))
               for sync in ("normal", "full")}
    plan = [("(a) 1 curriculum", 1, 1, "normal"), ("(a) 1 curriculum", 1, 16, "normal"),
            ("(a) 1 curriculum", 1, 64, "normal"), ("(b) 16 curricula x 4", 16, 64, "normal"),
            ("(c) 1 curriculum, synchronous=FULL", 1, 64, "full")]
    if pg_url is not None:
        servers["postgres"] = Proc(serve_args(pg_url))
        plan.append(("(d) 1 curriculum, PostgreSQL", 1, 64, "postgres"))
    plan = [p for key, p in zip(SCENARIOS, plan, strict=False) if key in only]
    servers = {k: v for k, v in servers.items() if any(p[3] == k for p in plan)}
    for s in servers.values():
        s.start()
    rows: list[list[object]] = []
    notes: list[str] = []
    try:
        for k, (label, n_cur, students, sync) in enumerate(plan):
            server = servers[sync]
            runs: list[tuple[Load, Load, Reconciled]] = []
            for r in range(repeats):
                # the ceiling, measured right before the run it bounds
                ceiling = load(bare.url, [f"bare{i}" for i in range(n_cur)], students, seconds)
                cids = create_curricula(server.url, f"run{k}-{r}", n_cur)
                got = load(server.url, cids, students, seconds)
                runs.append((got, ceiling, reconcile(server.url, cids)))
                print(f"  {label}, {students} students, run {r + 1}: {got.rate:,.0f} rt/s, "
                      f"ceiling {ceiling.rate:,.0f}", flush=True)
            ratios = [100 * g.rate / c.rate if c.rate else float("nan") for g, c, _ in runs]
            acked = sum(g.round_trips for g, _, _ in runs)
            logged = sum(rec.logged_results for _, _, rec in runs)
            lost = sum(max(0, g.round_trips - rec.logged_results) for g, _, rec in runs)
            rows.append([
                label, students, f"{statistics.median(g.rate for g, _, _ in runs):,.0f}",
                f"{statistics.median(c.rate for _, c, _ in runs):,.0f}",
                f"{statistics.median(ratios):.0f}% ({min(ratios):.0f}-{max(ratios):.0f})",
                f"{statistics.median(g.p50_ms for g, _, _ in runs):.1f}",
                f"{statistics.median(g.p99_ms for g, _, _ in runs):.1f}",
                f"{statistics.median(c.p99_ms for _, c, _ in runs):.1f}",
                sum(rec.fits for _, _, rec in runs), sum(rec.coalesced for _, _, rec in runs),
                f"{acked:,} / {logged:,}", lost, sum(g.errors for g, _, _ in runs),
                "yes" if all(rec.replay_ok for _, _, rec in runs) else "NO",
            ])
            print(" | ".join(str(x) for x in rows[-1]), flush=True)
        for sync, s in servers.items():
            notes.append(f"mean fit time ({sync}): {mean_fit_ms(s.url):.0f} ms")
    finally:
        bare.stop()
        for s in servers.values():
            s.stop()
    return rows, notes


# -- restart --------------------------------------------------------------------------------------
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
    server = Proc(serve_args(db))
    seconds = server.start()
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
    server = Proc(serve_args(db))
    seconds = server.start()
    with httpx.Client(base_url=server.url, timeout=120) as c:
        c.post(f"/v1/curricula/{cid}/tasks").raise_for_status()
    server.stop()
    rows.append([f"{tail_seq:,}", f"{snap:,} ({snap_mib:.0f} MiB)", f"{tail_seq - snap:,}",
                 f"{seconds:.1f}", f"{size:.0f} MiB"])
    print(rows[-1], flush=True)
    return rows, pause


def main() -> None:
    from benchmarks._results import markdown_table, write_section

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=12, help="duration of each load run")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per row (server and ceiling alternating); medians reported")
    ap.add_argument("--events", type=int, default=1_000_000, help="events for the restart test")
    ap.add_argument("--no-full-replay", action="store_true",
                    help="skip timing a restart without snapshot (the slowest part)")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help=f"load rows to run, comma-separated among {','.join(SCENARIOS)} "
                         "(a1/a16/a64: one curriculum, 1/16/64 students; b: 16 curricula; "
                         "c: synchronous=FULL; d: PostgreSQL)")
    ap.add_argument("--no-restart", action="store_true", help="skip the restart test")
    ap.add_argument("--section", default="server",
                    help="RESULTS.md section to write (a partial run: give it its own)")
    args = ap.parse_args()
    only = tuple(x.strip() for x in args.scenarios.split(",") if x.strip())
    generator = "wrk" if shutil.which("wrk") else "Python asyncio client (wrk not found)"
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        pg_version = "(none could be started here, so no row)"
        with postgres_url() as pg_url:
            rows, notes = load_rows(workdir, args.seconds, pg_url, args.repeats, only)
            if pg_url is not None:
                import psycopg

                with psycopg.connect(pg_url) as con:
                    pg_version = str(con.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        notes.append(f"1-minute load average before / after the load runs: {load_before:.1f} / "
                     f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes "
                     "on the machine lower both columns)")
        restart, pause = ([], 0.0) if args.no_restart else \
            restart_rows(workdir, args.events, not args.no_full_replay)
        total = time.perf_counter() - started
    load_table = markdown_table(
        ["scenario", "students", "round trips/s", "bare ceiling rt/s", "of ceiling",
         "p50 ms", "p99 ms", "bare p99 ms", "fits", "coalesced", "acked / in log", "lost",
         "errors", "log replays"],
        rows,
    )
    restart_table = markdown_table(
        ["events", "snapshot at seq", "events replayed", "start to healthy (s)", "store size"],
        restart,
    )
    body = f"""
Load generator: {generator}, {args.seconds} s per run, {args.repeats} runs per row; every
student loops `POST tasks` -> `POST results`; a round trip is one acknowledged result.
Server: `curriculum serve` (uvicorn, uvloop, httptools, one process, one fit worker
process), SQLite in WAL mode, default ALP-GMM (fit_rate 250) on a 2-D space, a fresh
curriculum per run (so each run includes the 250-episode bootstrap). Latencies are per
request (tasks and results alike), as wrk reports them: with its coordinated-omission
correction, which charges a stall to every request that would have been sent during it.
"bare ceiling": the same load on FastAPI endpoints with the same request schemas and no
teacher or store (they return pydantic models, which FastAPI validates and serialises;
the server's two student-loop routes encode their answers themselves), measured right
before each run. Rates, latencies and "of ceiling" are medians over the runs (the range of
the per-run shares in brackets); fits, coalesced, acked, lost and errors are totals.
Results are acknowledged only after their
commit (synchronous=NORMAL survives a crash of the server process; FULL also power loss).
Row (d) runs the same server over PostgreSQL {pg_version} on this machine (a private
cluster with default settings: fsync on, synchronous_commit on, so power-loss durable;
TCP over loopback).
"acked / in log": results the load generator saw acknowledged / result events in the store
(requests still in flight when the generator stopped may be stored unacknowledged);
"log replays": every log rebuilt with `teacher.Curriculum.from_events` matches the server.
{'; '.join(notes)}.

{load_table}

Restart (process start to `/healthz`, all curricula loaded; Python start-up and imports
included): a default ALP-GMM curriculum written straight into a store, started without a
snapshot (full replay; the server then takes one) and, after 1,000 more round trips and a
SIGKILL, restarted from that snapshot plus the events after it. Taking a snapshot of that
curriculum (copying and encoding its state) pauses the server for {pause:.2f} s.

{restart_table}

Whole benchmark: {total / 60:.1f} min.
"""
    print(body)
    if not args.no_write:
        title = "Teacher server" if args.section == "server" else \
            f"Teacher server ({args.section}: rows {', '.join(only)})"
        write_section(args.section, title, body)


if __name__ == "__main__":
    main()
