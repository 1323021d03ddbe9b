"""Where the CPU of a round trip goes (``python -m benchmarks.bench_server_cpu``; not CI).

On a shared machine the round trips per second of ``make bench-server`` measure the
other jobs as much as the server. CPU time spent per round trip does not depend on how
much CPU the process was given, so this prints it, per process, for the servers of rows
(a64) and (d): the bare FastAPI ceiling, the server on SQLite, the same server with its
fast lane off (``CURRICULUM_FAST_LANE=0``: every request through FastAPI's request
handling), the server on PostgreSQL (a private cluster, fsync on), each loaded by wrk with
64 students on one curriculum. Columns: the server's main thread (the event loop, which
bounds the rate of a single-process server), its other threads (the PostgreSQL commit
thread), its fit worker processes, the PostgreSQL cluster's processes, and wrk. "bound":
the share of the ceiling a server could reach if its main thread had one core to itself
(the bare main thread's CPU per round trip over the server's), provided the other core
carries the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._load import create_curricula, load
from benchmarks._restart import serve_args
from benchmarks._testhelpers import postgres_url
from benchmarks.bench_server import bare_args, process
from curriculum.harness import ServerProcess

__all__ = ["cpu_seconds"]

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(stat_path: str) -> float:
    """User + system CPU seconds of a process or thread from its /proc stat file."""
    try:
        fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _descendants(pid: int) -> list[int]:
    out = []
    for c in _children(pid):
        out += [c, *_descendants(c)]
    return out


def _cluster_pids(pg_url: str) -> list[int]:
    """The postmaster of the cluster serving ``pg_url`` and all its children."""
    import psycopg

    with psycopg.connect(pg_url) as con:
        backend = con.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        # read while connected: the backend process ends with the connection
        status = Path(f"/proc/{backend}/status").read_text()
    postmaster = int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])
    return [postmaster, *_children(postmaster)]


def measure(url: str, pid: int, cids: list[str], seconds: int,
            pg_url: str | None) -> dict[str, float]:
    """CPU microseconds per round trip of each part, and the rate, for one load run."""
    load(url, cids, 64, 2)  # warm up (and start the fit workers)
    workers = _descendants(pid)
    cluster = _cluster_pids(pg_url) if pg_url else []

    def sample() -> tuple[float, float, float, float, float]:
        main = cpu_seconds(f"/proc/{pid}/task/{pid}/stat")
        threads = sum(cpu_seconds(str(t / "stat")) for t in Path(f"/proc/{pid}/task").glob("*"))
        kids = os.times()
        return (main, threads - main, sum(cpu_seconds(f"/proc/{w}/stat") for w in workers),
                sum(cpu_seconds(f"/proc/{c}/stat") for c in cluster),
                kids.children_user + kids.children_system)

    before = sample()
    got = load(url, cids, 64, seconds)
    after = sample()
    n = max(1, got.round_trips)
    parts = [1e6 * (b - a) / n for a, b in zip(before, after, strict=True)]
    return {"rate": got.rate, "main": parts[0], "threads": parts[1], "workers": parts[2],
            "postgres": parts[3], "wrk": parts[4]}


def main() -> None:
    from benchmarks._results import markdown_table, write_section

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    ap.add_argument("--repeats", type=int, default=2, help="runs per server (medians)")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in (
        "bare FastAPI (ceiling)", "SQLite", "SQLite, no fast lane", "PostgreSQL")}
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp, postgres_url() as pg_url:
        servers: dict[str, tuple[ServerProcess, str | None]] = {
            "bare FastAPI (ceiling)": (process(bare_args()), None),
            "SQLite": (process(serve_args(Path(tmp) / "cpu.db")), None),
            "SQLite, no fast lane": (process(serve_args(Path(tmp) / "slow.db"),
                                             env={"CURRICULUM_FAST_LANE": "0"}), None)}
        if pg_url is not None:
            servers["PostgreSQL"] = (process(serve_args(pg_url)), pg_url)
        for server, _ in servers.values():
            server.start(timeout=900)
        try:
            for r in range(args.repeats):  # alternating, so a change of load hits all
                for label, (server, pg) in servers.items():
                    cids = (["bare0"] if pg is None and label.startswith("bare")
                            else create_curricula(server.url, f"cpu{r}", 1))
                    runs[label].append(measure(server.url, server.pid, cids, args.seconds, pg))
                    print(label, {k: round(v) for k, v in runs[label][-1].items()}, flush=True)
        finally:
            for server, _ in servers.values():
                server.stop(timeout=120)
    med = {label: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for label, rs in runs.items() if rs}
    bare_main = med["bare FastAPI (ceiling)"]["main"]
    rows: list[list[object]] = [
        [label, f"{m['rate']:,.0f}", f"{m['main']:.0f}", f"{m['threads']:.0f}",
             f"{m['workers']:.0f}", f"{m['postgres']:.0f}", f"{m['wrk']:.0f}",
             f"{m['main'] + m['threads'] + m['workers'] + m['postgres'] + m['wrk']:.0f}",
             f"{100 * bare_main / (m['main'] + m['threads']):.0f}%"]
            for label, m in med.items()]
    body = f"""
{__doc__.split(chr(10) + chr(10), 1)[1].strip()}

CPU microseconds per round trip, medians of {args.repeats} runs of {args.seconds} s:

{markdown_table(["server", "round trips/s (this run)", "main thread", "other threads",
                 "fit workers", "PostgreSQL", "wrk", "total", "bound"], rows)}

Whole run {(time.perf_counter() - started) / 60:.1f} min; 1-minute load average before /
after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared with
other agents' jobs: the rates are not the server's, the CPU per round trip is).
"""
    print(body)
    if not args.no_write:
        write_section("server-cpu", "Teacher server: CPU per round trip", body)


if __name__ == "__main__":
    main()
