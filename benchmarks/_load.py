"""Load generation for the server benchmarks: simulated students doing task -> result
round trips, with ``wrk`` and a Lua script where installed, else a multi-process Python
client; then reconciling what was acknowledged with what the server logged."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["SPACE", "Load", "Reconciled", "create_curricula", "load", "mean_fit_ms",
           "reconcile"]

SPACE = {"stump_height": [0.0, 3.0], "obstacle_spacing": [0.0, 6.0]}

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
            # every count the server reports (its schema may not list a newer one yet)
            counts = rebuilt.counts()
            replay_ok &= {k: counts.get(k) for k in info["counts"]} == info["counts"]
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
