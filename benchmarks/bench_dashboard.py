"""Dashboard benchmark (``make bench-dashboard``): a curriculum of 10^6 events in the
browser.

A default ALP-GMM curriculum of ``--events`` events is written into a SQLite store (as
the server benchmark's restart test does), a real server is started on it, and headless
Chromium (Debian's, through Selenium) opens its dashboard page ``--loads`` times. Measured:
the time from navigation to the page drawn with its data (``performance.now()`` when the
page marks itself ready), the data endpoints' latencies and sizes, and, while a student
posts results at full speed, how long one full redraw takes and the longest gap between
animation frames over 5 s (the page's responsiveness).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._restart import build_log, serve_args
from benchmarks._testhelpers import test_helper
from curriculum.harness import ServerProcess

_browser = test_helper("_browser")  # the browser tests' helpers (headless Chromium)
Student, chromium = _browser.Student, _browser.chromium
console_errors, wait_for = _browser.console_errors, _browser.wait_for
ROOT = Path(__file__).resolve().parents[1]

GAP_JS = """
const done = arguments[arguments.length - 1];
let last = performance.now(), worst = 0;
const end = last + 5000;
function tick(t) { worst = Math.max(worst, t - last); last = t;
  if (t < end) requestAnimationFrame(tick); else done(worst); }
requestAnimationFrame(tick);
"""


def main() -> None:
    from benchmarks._results import markdown_table, write_section

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dash.db"
        t0 = time.perf_counter()
        cid, seq, _ = build_log(db, args.events, snapshot=True)
        built = time.perf_counter() - t0
        print(f"built a log of {seq:,} events in {built:.0f} s", flush=True)
        server = ServerProcess(serve_args(db), cwd=ROOT)
        started = server.start(timeout=900)
        try:
            rows = measure(server.url, cid, args.loads)
        finally:
            server.stop(timeout=120)
    total = time.perf_counter() - t_all
    table = markdown_table(["measure", "value"], rows)
    print(table)
    print(f"whole run: {total:.0f} s")
    if not args.no_write:
        write_section("dashboard", "Dashboard: a curriculum of 10^6 events in Chromium", f"""
`python -m benchmarks.bench_dashboard` — a default ALP-GMM curriculum of {seq:,} events
(built straight into SQLite in {built:.0f} s, server start from its snapshot {started:.1f} s),
its page opened {args.loads} times in headless Chromium (Debian's, through Selenium) on
the same machine as the server. The machine's 2 cores were shared with other work during
the run, so these are upper bounds. Whole run {total:.0f} s.

{table}

The page never reads the log whole: the server sends ALP bucketed to at most 400 points,
mastery thinned to 200 rounds per test set, the installed mixture, and the newest 2,000
tasks read from the log's tail; live updates follow the event log from its current end.
""")


def measure(url: str, cid: str, loads: int) -> list[list[object]]:
    rows: list[list[object]] = []
    with httpx.Client(base_url=url, timeout=120) as c:
        for name, path in (("overview", f"/ui/api/curricula/{cid}/overview"),
                           ("recent (2,000 tasks)", f"/ui/api/curricula/{cid}/recent")):
            times, size = [], 0
            for _ in range(5):
                t = time.perf_counter()
                r = c.get(path)
                r.raise_for_status()
                times.append(1000 * (time.perf_counter() - t))
                size = len(r.content)
            rows.append([f"GET {name}: median latency, body size",
                         f"{statistics.median(times):.0f} ms, {size / 1024:.0f} KiB"])
    with chromium() as driver:
        ready = []
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(f"{url}/ui#/c/{cid}")
            wait_for(driver, lambda d: d.execute_script("return document.body.dataset.ready")
                     == "curriculum", timeout=120, what="the page")
            ready.append(driver.execute_script("return window.__dashReadyMs"))
        rows.append(["page load to drawn with data (navigation start → ready), median "
                     f"of {loads} (min-max)",
                     f"{statistics.median(ready):.0f} ms ({min(ready):.0f}-{max(ready):.0f})"])
        student = Student(url, cid, episodes=10**9, batch=16, pause_s=0.0)
        student.start()
        try:
            time.sleep(2)
            draws = []
            for _ in range(10):
                draws.append(driver.execute_script(
                    "const t = performance.now(); window.__dashRenderAll(); "
                    "return performance.now() - t;"))
            driver.set_script_timeout(60)
            gap = driver.execute_async_script(GAP_JS)
            points = driver.find_element("id", "tasks-canvas").get_attribute("data-points")
        finally:
            student.stop()
        rows.append(["full redraw of every panel while results stream in, median (max)",
                     f"{statistics.median(draws):.1f} ms ({max(draws):.1f})"])
        rows.append(["longest gap between animation frames over 5 s of streaming",
                     f"{gap:.0f} ms"])
        rows.append(["results posted by the student meanwhile; tasks in the scatter",
                     f"{student.done:,}; {points}"])
        rows.append(["browser console errors", str(len(console_errors(driver)))])
    return rows


if __name__ == "__main__":
    main()
