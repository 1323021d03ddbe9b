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

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._load import Load, Reconciled, create_curricula, load, mean_fit_ms, reconcile
from benchmarks._restart import restart_rows, serve_args
from benchmarks._testhelpers import postgres_url
from curriculum.harness import ServerProcess

ROOT = Path(__file__).resolve().parents[1]


def bare_args() -> list[str]:
    """uvicorn serving the bare ceiling app (benchmarks/_bare_app.py)."""
    return [sys.executable, "-m", "uvicorn", "--factory", "benchmarks._bare_app:create_bare_app",
            "--port", "{port}", "--log-level", "warning", "--no-access-log"]


def process(args: list[str], env: dict[str, str] | None = None) -> ServerProcess:
    """A server process for the benchmark (started from the repository root; ``env``:
    extra environment variables)."""
    return ServerProcess(args, cwd=ROOT, env=env)


SCENARIOS = ("a1", "a16", "a64", "b", "c", "d")


def load_rows(workdir: Path, seconds: int, pg_url: str | None,
              repeats: int, only: tuple[str, ...] = SCENARIOS
              ) -> tuple[list[list[object]], list[str]]:
    """Each row ``repeats`` times, alternating the bare ceiling and the server (each
    repetition on fresh curricula); rates and latencies are medians over repetitions,
    the share of the ceiling the median of the back-to-back ratios (min-max beside it),
    counts are totals."""
    bare = process(bare_args())
    bare.start(timeout=900)
    servers = {sync: process(serve_args(workdir / f"load-{sync}.db", sync))
               for sync in ("normal", "full")}
    plan = [("(a) 1 curriculum", 1, 1, "normal"), ("(a) 1 curriculum", 1, 16, "normal"),
            ("(a) 1 curriculum", 1, 64, "normal"), ("(b) 16 curricula x 4", 16, 64, "normal"),
            ("(c) 1 curriculum, synchronous=FULL", 1, 64, "full")]
    if pg_url is not None:
        servers["postgres"] = process(serve_args(pg_url))
        plan.append(("(d) 1 curriculum, PostgreSQL", 1, 64, "postgres"))
    plan = [p for key, p in zip(SCENARIOS, plan, strict=False) if key in only]
    servers = {k: v for k, v in servers.items() if any(p[3] == k for p in plan)}
    for s in servers.values():
        s.start(timeout=900)
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
        bare.stop(timeout=120)
        for s in servers.values():
            s.stop(timeout=120)
    return rows, notes


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
    restart_part = "" if args.no_restart else f"""
Restart (process start to `/healthz`, all curricula loaded; Python start-up and imports
included): a default ALP-GMM curriculum written straight into a store, started without a
snapshot (full replay; the server then takes one) and, after 1,000 more round trips and a
SIGKILL, restarted from that snapshot plus the events after it. Taking a snapshot of that
curriculum (copying and encoding its state) pauses the server for {pause:.2f} s.

{restart_table}
"""
    body = f"""
Load generator: {generator}, {args.seconds} s per run, {args.repeats} runs per row; every
student loops `POST tasks` -> `POST results`; a round trip is one acknowledged result.
Server: `curriculum serve` (uvicorn, uvloop, httptools, one process, one fit worker
process), SQLite in WAL mode, default ALP-GMM (fit_rate 250) on a 2-D space, a fresh
curriculum per run (so each run includes the 250-episode bootstrap). Latencies are per
request (tasks and results alike), as wrk reports them: with its coordinated-omission
correction, which charges a stall to every request that would have been sent during it.
"bare ceiling": the same load on FastAPI endpoints with the same request schemas and no
teacher or store (they return pydantic models, which FastAPI validates and serialises),
measured right before each run. The server answers its two student-loop routes through its
fast lane (docs/server.md), without the FastAPI request handling the ceiling pays for: the
ceiling is that of a plain FastAPI app, not a bound the server cannot pass. Rates,
latencies and "of ceiling" are medians over the runs (the range of the per-run shares in
brackets); fits, coalesced, acked, lost and errors are totals.
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
{restart_part}
Whole benchmark: {total / 60:.1f} min.
"""
    print(body)
    if not args.no_write:
        title = "Teacher server" if args.section == "server" else \
            f"Teacher server ({args.section}: rows {', '.join(only)})"
        write_section(args.section, title, body)


if __name__ == "__main__":
    main()
