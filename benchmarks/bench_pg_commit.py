"""Commit latency of the PostgreSQL store next to a busy event loop
(``python -m benchmarks.bench_pg_commit``; not CI).

The server commits PostgreSQL batches from a writer thread while its event loop runs
requests. This measures what that costs one batch: a writer thread commits batches of
``--rows`` appends (about what 64 students hand over per commit) to a private cluster
(fsync on, PostgreSQL's defaults) while the main thread is idle or spins (a stand-in for
a loop that is never idle), for the two ways the store can send a batch (one
self-committing prepared statement; statements plus COMMIT in psycopg's pipeline mode) and
two GIL switch intervals (Python's default 5 ms; the 0.5 ms the server sets while its
writer thread runs). Rows: median and 90th percentile over ``--batches`` commits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

from benchmarks._testhelpers import postgres_url

__all__ = ["measure"]

BODY = ('{"type":"result","seq":1,"time":"2026-11-30T08:00:00.000000Z","task_id":"c-123",'
        '"return":12.345,"reward":0.4,"params":{"stump_height":1.234,"obstacle_spacing":4.5}}')


def measure(url: str, *, single: bool, switch_s: float, busy: bool, rows: int,
            batches: int, first_seq: int) -> tuple[list[float], int]:
    """Commit latencies (s) of ``batches`` batches from a writer thread; the next seq."""
    from server.store import AppendOp, EventRow
    from server.store.postgres import PostgresStore

    store = PostgresStore(url)
    store.claim()
    store.single_statement_appends = single
    latencies: list[float] = []
    seq = first_seq
    done = threading.Event()

    def writer() -> None:
        nonlocal seq
        for _ in range(batches):
            batch = [EventRow(seq + i, "result", BODY) for i in range(rows)]
            seq += rows
            started = time.perf_counter()
            store.write([AppendOp("c", batch)])
            latencies.append(time.perf_counter() - started)
        done.set()

    previous = sys.getswitchinterval()
    sys.setswitchinterval(switch_s)
    try:
        thread = threading.Thread(target=writer)
        thread.start()
        spins = 0
        while busy and not done.is_set():
            spins += 1  # the busy loop: pure Python, never blocks
        thread.join()
    finally:
        sys.setswitchinterval(previous)
        store.close()
    return latencies, seq


def main() -> None:
    from benchmarks._results import markdown_table, write_section

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=32, help="appended events per batch")
    ap.add_argument("--batches", type=int, default=100, help="commits per row of the table")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    table: list[list[object]] = []
    with postgres_url() as url:
        if url is None:
            return
        from server.store import CreateOp, EventRow
        from server.store.postgres import PostgresStore

        setup = PostgresStore(url)
        setup.claim()
        setup.write([CreateOp("c", "bench", "{}", "t", EventRow(1, "created", "{}"))])
        setup.close()
        seq = 2
        for busy in (False, True):
            for single in (False, True):
                for switch_s in (0.005, 0.0005):
                    if not busy and switch_s != 0.005:
                        continue  # nothing competes for the GIL: the interval is moot
                    lat, seq = measure(url, single=single, switch_s=switch_s, busy=busy,
                                       rows=args.rows, batches=args.batches, first_seq=seq)
                    lat.sort()
                    table.append([
                        "spinning" if busy else "idle",
                        "one prepared statement" if single else "pipeline + COMMIT",
                        f"{switch_s * 1e3:g} ms",
                        f"{statistics.median(lat) * 1e3:.1f}",
                        f"{lat[int(0.9 * (len(lat) - 1))] * 1e3:.1f}",
                    ])
                    print(" | ".join(str(x) for x in table[-1]), flush=True)
    body = f"""
{__doc__.split(chr(10) + chr(10), 1)[1].strip()}

{markdown_table(["main thread", "batch sent as", "switch interval", "median ms",
                 "p90 ms"], table)}

{args.rows} rows per batch, {args.batches} batches per row; whole run
{(time.perf_counter() - started) / 60:.1f} min; 1-minute load average before / after:
{load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other agents'
jobs shared them: absolute times are inflated, compare rows within this run).
"""
    print(body)
    if not args.no_write:
        write_section("pg-commit", "PostgreSQL commit latency next to a busy event loop", body)


if __name__ == "__main__":
    main()
