"""Fault injection and soak of the teacher server (``make bench-faults``; not CI).

Students (asyncio HTTP clients in this process) loop task -> result against a real
``curriculum serve`` process and retry whatever fails; every result the server
acknowledged is remembered by task id. Meanwhile faults are injected, per backend:

- SQLite: repeated SIGKILLs of the server (restarted at once on the same port);
- PostgreSQL (a private cluster, fsync on), reached through a loopback proxy
  (tests/server/_proxy.py): SIGKILLs, connections cut just before and just after a COMMIT,
  and database outages (the proxy refuses every connection for a few seconds).

Recovery time: from the fault (a kill, the database back up, a cut) to the next result
acknowledged. At the end of each phase the server is stopped and started once more and
every acknowledged task id must be a result in the curriculum's log (lost = acknowledged
but not stored, must be 0); the log must replay.

Then a soak: 64 students (bench_server's load generator, wrk where installed) on one
SQLite server for ``--soak-minutes`` (10 by default), with the server's RSS and the
per-request p50/p99 of every minute (a plot is written next to RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks._load import SPACE
from benchmarks._testhelpers import postgres_url, test_helper
from curriculum.harness import ServerProcess, free_port, serve_command

RESULTS_DIR = Path(__file__).resolve().parent
ROOT = RESULTS_DIR.parent


class Server(ServerProcess):
    """``curriculum serve`` on a fixed port (kept across restarts); up once /healthz
    answers, also with 503 (store unwritable)."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        super().__init__(serve_command(db_url, "--log-level", "critical"), cwd=ROOT,
                         env={"CURRICULUM_CLAIM_WAIT_S": "30"}, port=free_port(),
                         healthy=(200, 503))

    def start(self, timeout: float = 120.0) -> float:
        return super().start(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> None:
        super().stop(sig, timeout)

    def rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@dataclass
class Students:
    """The load: ``n`` students on curriculum ``cid``; ``acked`` holds every task id whose
    result the server acknowledged."""

    url: str
    cid: str
    n: int
    acked: set[str] = field(default_factory=set)
    sent: int = 0
    errors: int = 0
    last_ack: float = 0.0
    stop: bool = False

    async def _one(self, k: int) -> None:
        rng = random.Random(k)
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as c:
            while not self.stop:
                try:
                    r = await c.post(f"/v1/curricula/{self.cid}/tasks")
                    if r.status_code != 200:
                        raise httpx.HTTPError(f"tasks: {r.status_code}")
                    task = r.json()["tasks"][0]
                    body = {"task_id": task["task_id"], "return": rng.uniform(-150, 350)}
                    while not self.stop:  # the same result until acknowledged
                        self.sent += 1
                        answer: httpx.Response | None = None
                        with contextlib.suppress(httpx.HTTPError):
                            answer = await c.post(f"/v1/curricula/{self.cid}/results",
                                                  json=body)
                        if answer is not None and answer.status_code == 200:
                            self.acked.add(task["task_id"])
                            self.last_ack = time.monotonic()
                            break
                        self.errors += 1
                        await asyncio.sleep(0.05)
                except (httpx.HTTPError, KeyError, ValueError):
                    self.errors += 1
                    await asyncio.sleep(0.05)

    async def run(self, seconds: float, during: object = None) -> None:
        tasks = [asyncio.create_task(self._one(k)) for k in range(self.n)]
        try:
            if during is not None:
                await during  # type: ignore[misc]
            else:
                await asyncio.sleep(seconds)
        finally:
            self.stop = True
            await asyncio.gather(*tasks, return_exceptions=True)
            self.stop = False

    async def recovered_after(self, t0: float, limit: float = 120.0) -> float:
        """Seconds from ``t0`` to the first acknowledgement after it."""
        while self.last_ack <= t0 and time.monotonic() - t0 < limit:
            await asyncio.sleep(0.02)
        return self.last_ack - t0 if self.last_ack > t0 else float("nan")


def create_curriculum(url: str, name: str) -> str:
    r = httpx.post(f"{url}/v1/curricula", json={
        "name": name, "teacher": "alp-gmm", "space": SPACE, "seed": 1,
        "reward_bounds": [-150, 350]}, timeout=30)
    r.raise_for_status()
    return str(r.json()["id"])


def reconcile(server: Server, cid: str, acked: set[str]) -> tuple[int, int, bool]:
    """Restart the server, read the log: (results stored, acknowledged but lost, replays)."""
    import teacher

    server.stop()
    server.start()
    lines = httpx.get(f"{server.url}/v1/curricula/{cid}/events", timeout=120).text.splitlines()
    events = teacher.read_jsonl(lines)
    stored = {e.task_id for e in events if isinstance(e, teacher.ResultEvent)}
    try:
        teacher.Curriculum.from_events(events, task_id_prefix=f"{cid}-")
        replays = True
    except teacher.TeacherError:
        replays = False
    return len(stored), len(acked - stored), replays


async def fault_phase(backend: str, db_url: str, proxy: object, students_n: int,
                      rounds: int) -> list[list[object]]:
    """Run the faults of one backend; one table row per kind of fault."""
    server = Server(getattr(proxy, "url", db_url))
    server.start()
    cid = create_curriculum(server.url, f"faults-{backend}")
    load = Students(server.url, cid, students_n)
    recoveries: dict[str, list[float]] = {}
    started = time.monotonic()

    async def inject() -> None:
        await asyncio.sleep(3)
        kinds = ["SIGKILL"] + (["cut before COMMIT", "cut after COMMIT", "database outage 3 s"]
                               if proxy is not None else [])
        for _ in range(rounds):
            for kind in kinds:
                t0 = time.monotonic()
                if kind == "SIGKILL":
                    server.stop(signal.SIGKILL)
                    await asyncio.to_thread(server.start)
                elif kind.startswith("cut"):
                    before = proxy.cuts  # type: ignore[attr-defined]
                    proxy.cut("before_commit" if "before" in kind else "after_commit")  # type: ignore[attr-defined]
                    while proxy.cuts == before and time.monotonic() - t0 < 30:  # type: ignore[attr-defined]
                        await asyncio.sleep(0.001)
                    t0 = time.monotonic()  # the moment of the cut
                else:
                    proxy.down()  # type: ignore[attr-defined]
                    await asyncio.sleep(3)
                    proxy.up()  # type: ignore[attr-defined]
                    t0 = time.monotonic()
                recoveries.setdefault(kind, []).append(await load.recovered_after(t0))
                await asyncio.sleep(2)

    await load.run(0, inject())
    elapsed = time.monotonic() - started
    stored, lost, replays = reconcile(server, cid, load.acked)
    server.stop()
    rows = []
    for kind, times in recoveries.items():
        ok = [t for t in times if t == t]
        rows.append([backend, kind, len(times),
                     f"{statistics.median(ok):.2f} / {max(ok):.2f}" if ok else "never"])
    summary = (f"{backend}: {students_n} students, {elapsed:.0f} s, acknowledged "
               f"{len(load.acked):,}, results in log {stored:,}, lost {lost}, "
               f"requests retried {load.errors:,}, log replays: {'yes' if replays else 'NO'}")
    for row in rows:
        row += [f"{len(load.acked):,}", lost]
    return rows + [[summary]]


def soak(db_url: str, students_n: int, minutes: int) -> tuple[list[list[object]], str]:
    """``minutes`` back-to-back one-minute runs of the load generator of bench_server (wrk
    where installed), 64 students on one curriculum of one server; RSS after each."""
    from benchmarks._load import load
    from benchmarks._load import reconcile as count_logged

    server = Server(db_url)
    server.start()
    cid = create_curriculum(server.url, "soak")
    rows: list[list[object]] = []
    acked = errors = 0
    for m in range(1, minutes + 1):
        got = load(server.url, [cid], students_n, 60)
        acked += got.round_trips
        errors += got.errors
        rows.append([m, f"{server.rss_mib():.0f}", f"{got.rate:,.0f}", f"{got.p50_ms:.1f}",
                     f"{got.p99_ms:.1f}", f"{os.getloadavg()[0]:.1f}"])
        print("soak", rows[-1], flush=True)
    logged = count_logged(server.url, [cid])
    server.stop()
    # Requests in flight when a one-minute run ends may be stored unacknowledged: the log
    # may hold a few more results than were acknowledged, never fewer.
    note = (f"soak: {students_n} students, {minutes} min, acknowledged {acked:,}, results "
            f"in the log {logged.logged_results:,}, lost {max(0, acked - logged.logged_results)}, "
            f"errors {errors}, log replays: {'yes' if logged.replay_ok else 'NO'}")
    return rows, note


def _plot(rows: list[list[object]]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    minutes = [int(str(r[0])) for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    a.plot(minutes, [float(str(r[1])) for r in rows], marker="o")
    a.set(xlabel="minute", ylabel="server RSS (MiB)", title="memory")
    b.plot(minutes, [float(str(r[3])) for r in rows], marker="o", label="p50")
    b.plot(minutes, [float(str(r[4])) for r in rows], marker="o", label="p99")
    b.set(xlabel="minute", ylabel="ms per request", title="latency")
    b.legend()
    fig.tight_layout()
    fig.savefig(RESULTS_DIR / "soak.png", dpi=100)


@contextlib.contextmanager
def postgres_behind_proxy() -> Iterator[tuple[str, object] | None]:
    with postgres_url("phase") as url:
        if url is None:
            yield None
            return
        proxy = test_helper("_proxy").PgProxy(url)
        try:
            yield url, proxy
        finally:
            proxy.close()


def main() -> None:
    from benchmarks._results import markdown_table, write_section

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=32, help="students in the fault phases")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of every fault per backend")
    ap.add_argument("--soak-students", type=int, default=64)
    ap.add_argument("--soak-minutes", type=int, default=10, help="0: no soak")
    ap.add_argument("--no-faults", action="store_true", help="only the soak")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        if not args.no_faults:
            started = time.perf_counter()
            load_before = os.getloadavg()[0]
            rows, notes = fault_phases(tmp, args.students, args.rounds)
            body = f"""
Students retry every failed request (the same result until acknowledged); "lost" counts
results the server acknowledged that are not in the log read back after a final restart.
Recovery: seconds from the fault (a SIGKILL, the database back up, a cut connection) to
the next acknowledged result, median / max over the rounds. PostgreSQL runs as a private
cluster (fsync on) behind a loopback proxy that cuts connections at chosen points of the
wire protocol. Students are asyncio httpx clients in the benchmark process.

{markdown_table(["backend", "fault", "injected", "recovery s (median / max)",
                 "acknowledged results (phase)", "lost (phase)"], rows)}

{'; '.join(notes)}.

Whole fault run: {(time.perf_counter() - started) / 60:.1f} min; 1-minute load average
before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.
"""
            print(body)
            if not args.no_write:
                write_section("faults", "Faults", body)
        if args.soak_minutes > 0:
            started = time.perf_counter()
            load_before = os.getloadavg()[0]
            soak_rows, soak_note = soak(f"sqlite:///{tmp}/soak.db", args.soak_students,
                                        args.soak_minutes)
            generator = "wrk" if shutil.which("wrk") else "Python client (wrk not found)"
            body = f"""
One server (SQLite, default ALP-GMM), one curriculum, {args.soak_students} students driven
by bench_server's load generator ({generator}) in back-to-back one-minute runs; server RSS
after each minute (plot: benchmarks/soak.png). {soak_note}.

{markdown_table(["minute", "RSS MiB", "round trips/s", "p50 ms", "p99 ms", "load average"],
                soak_rows)}

Whole soak: {(time.perf_counter() - started) / 60:.1f} min; 1-minute load average
before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.
"""
            print(body)
            if not args.no_write:
                _plot(soak_rows)
                write_section("soak", "Soak", body)


def fault_phases(tmp: str, students: int, rounds: int) -> tuple[list[list[object]], list[str]]:
    rows: list[list[object]] = []
    notes: list[str] = []
    outs = [asyncio.run(fault_phase("SQLite", f"sqlite:///{tmp}/faults.db", None, students,
                                    rounds))]
    with postgres_behind_proxy() as pg:
        if pg is not None:
            outs.append(asyncio.run(fault_phase("PostgreSQL", pg[0], pg[1], students, rounds)))
    for out in outs:
        rows += [r for r in out if len(r) > 1]
        notes += [str(r[0]) for r in out if len(r) == 1]
    return rows, notes


if __name__ == "__main__":
    main()
