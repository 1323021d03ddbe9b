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

Then a soak: 64 students on one SQLite server for ``--soak-minutes`` (10 by default),
sampling the server's RSS and the per-request p50/p99 every minute (a plot is written next
to RESULTS.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests" / "server"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import httpx  # noqa: E402

from benchmarks.bench_server import SPACE, free_port  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent


class Server:
    """``curriculum serve`` on a fixed port (kept across restarts)."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "curriculum.serve_cmd", "--port", str(self.port),
             "--db", self.db_url, "--log-level", "critical"],
            cwd=ROOT, env={**os.environ, "CURRICULUM_CLAIM_WAIT_S": "30"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503):
                    return
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(60)

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
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (when, seconds)
    last_ack: float = 0.0
    stop: bool = False

    async def _one(self, k: int) -> None:
        rng = random.Random(k)
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as c:
            while not self.stop:
                try:
                    t0 = time.monotonic()
                    r = await c.post(f"/v1/curricula/{self.cid}/tasks")
                    t1 = time.monotonic()
                    if r.status_code != 200:
                        raise httpx.HTTPError(f"tasks: {r.status_code}")
                    task = r.json()["tasks"][0]
                    body = {"task_id": task["task_id"], "return": rng.uniform(-150, 350)}
                    while not self.stop:  # the same result until acknowledged
                        self.sent += 1
                        t2 = time.monotonic()
                        try:
                            r = await c.post(f"/v1/curricula/{self.cid}/results", json=body)
                        except httpx.HTTPError:
                            r = None
                        if r is not None and r.status_code == 200:
                            now = time.monotonic()
                            self.latencies += [(t1, t1 - t0), (now, now - t2)]
                            self.acked.add(task["task_id"])
                            self.last_ack = now
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


async def soak(db_url: str, students_n: int, minutes: float) -> tuple[list[list[object]], str]:
    server = Server(db_url)
    server.start()
    cid = create_curriculum(server.url, "soak")
    load = Students(server.url, cid, students_n)
    per_minute: list[list[object]] = []
    t_start = time.monotonic()

    async def sample() -> None:
        for m in range(1, int(minutes) + 1):
            await asyncio.sleep(max(0.0, t_start + 60 * m - time.monotonic()))
            window = sorted(s for t, s in load.latencies if t >= t_start + 60 * (m - 1))
            per_minute.append([m, f"{server.rss_mib():.0f}", len(window) // 2,
                               f"{_quantile_ms(window, 0.5):.1f}",
                               f"{_quantile_ms(window, 0.99):.1f}"])
            print("soak", per_minute[-1], flush=True)

    await load.run(0, sample())
    stored, lost, replays = reconcile(server, cid, load.acked)
    server.stop()
    note = (f"soak: {students_n} students, {minutes:g} min, acknowledged {len(load.acked):,}, "
            f"in log {stored:,}, lost {lost}, log replays: {'yes' if replays else 'NO'}")
    _plot(per_minute)
    return per_minute, note


def _quantile_ms(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return 1e3 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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
    import _pg

    if _pg.unavailable_reason() is not None:
        print(f"no PostgreSQL phase: {_pg.unavailable_reason()}", file=sys.stderr)
        yield None
        return
    from _proxy import PgProxy

    with _pg.pg_server(fsync=True) as admin, _pg.fresh_database(admin) as url:
        proxy = PgProxy(url)
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
    ap.add_argument("--soak-minutes", type=float, default=10)
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    started = time.perf_counter()
    rows: list[list[object]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        out = asyncio.run(fault_phase("SQLite", f"sqlite:///{tmp}/faults.db", None,
                                      args.students, args.rounds))
        rows += [r for r in out if len(r) > 1]
        notes += [str(r[0]) for r in out if len(r) == 1]
        with postgres_behind_proxy() as pg:
            if pg is not None:
                out = asyncio.run(fault_phase("PostgreSQL", pg[0], pg[1], args.students,
                                              args.rounds))
                rows += [r for r in out if len(r) > 1]
                notes += [str(r[0]) for r in out if len(r) == 1]
        soak_rows, soak_note = asyncio.run(
            soak(f"sqlite:///{tmp}/soak.db", args.soak_students, args.soak_minutes))
    notes.append(soak_note)
    total = time.perf_counter() - started
    body = f"""
Students retry every failed request (the same result until acknowledged); "lost" counts
results the server acknowledged that are not in the log read back after a final restart.
Recovery: seconds from the fault (a SIGKILL, the database back up, a cut connection) to
the next acknowledged result, median / max over the rounds. PostgreSQL runs as a private
cluster (fsync on) behind a loopback proxy that cuts connections at chosen points of the
wire protocol.

{markdown_table(["backend", "fault", "injected", "recovery s (median / max)",
                 "acknowledged results (phase)", "lost (phase)"], rows)}

{'; '.join(notes)}.

Soak (per minute: server RSS, round trips, per-request p50 / p99; plot: benchmarks/soak.png):

{markdown_table(["minute", "RSS MiB", "round trips", "p50 ms", "p99 ms"], soak_rows)}

Whole benchmark: {total / 60:.1f} min.
"""
    print(body)
    if not args.no_write:
        write_section("faults", "Faults and soak", body)


if __name__ == "__main__":
    main()
