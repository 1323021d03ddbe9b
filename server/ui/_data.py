"""What the dashboard's panels show, computed on the server and downsampled so that a
curriculum of 10^6 events costs the page a few kilobytes. Pure functions of a live
curriculum and stored event rows: no FastAPI here."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pydantic_core

from server.live import LiveCurriculum
from server.store import EventRow

__all__ = ["RateTracker", "alp_series", "declared_state", "mastery_series", "mixture",
           "overview", "recent", "summary", "worker_throughput", "SOURCES"]

# Where each panel's data comes from (shown on the page under each panel).
SOURCES = {
    "tasks": "the newest task events of the stored log, then live from the event stream",
    "mixture": "the live teacher's installed fit (fit events in the log)",
    "declared": "the live teacher's learned attributes (regions, window, box): not in the log",
    "alp": "the live teacher's record of the ALP of every result, bucketed on the server "
           "(ALP is not in the log; replay recomputes it)",
    "mastery": "the curriculum's evaluation events, aggregated per round",
    "workers": "the 'worker' field of the newest result events of the stored log",
}


class RateTracker:
    """Results per second of each curriculum, from the result counts seen at successive
    requests over the last ``horizon_s`` seconds (None until two samples exist)."""

    def __init__(self, horizon_s: float = 30.0, clock: Any = time.monotonic):
        self.horizon_s = horizon_s
        self._clock = clock
        self._samples: dict[str, deque[tuple[float, int]]] = {}

    def observe(self, cid: str, n_results: int) -> float | None:
        now = self._clock()
        q = self._samples.setdefault(cid, deque(maxlen=256))
        q.append((now, n_results))
        while len(q) > 2 and now - q[1][0] >= self.horizon_s:
            q.popleft()
        (t0, n0), (t1, n1) = q[0], q[-1]
        return (n1 - n0) / (t1 - t0) if t1 - t0 > 0.5 else None


def summary(live: LiveCurriculum, rate: float | None) -> dict[str, Any]:
    """One row of the curricula list."""
    cur = live.cur
    return {
        "id": live.id, "name": live.name, "teacher": cur.config.teacher, "seq": cur.seq,
        "episodes": cur.n_results, "tasks": cur.n_tasks, "pending": len(cur.pending),
        "fits": cur.n_fits, "evaluations": cur.n_evaluations,
        "latest_mastery_pct": cur.latest_mastery(), "results_per_s": rate,
    }


def mixture(live: LiveCurriculum) -> dict[str, Any] | None:
    """The installed Gaussian mixture over [task..., extra coordinates] (or None)."""
    teacher = live.cur.teacher
    fit = teacher.installed_fit
    if fit is None:
        return None
    fits = teacher.record_.fits
    return {
        "fit_index": int(fit.fit_index), "k": fit.k,
        "episode": int(fits[-1].episode) if fits else 0,
        "components": [
            {"index": i, "weight": float(fit.weights[i]), "alp": float(fit.scores[i]),
             "mean": fit.means[i].tolist(), "cov": fit.covariances[i].tolist()}
            for i in range(fit.k)
        ],
    }


def declared_state(live: LiveCurriculum) -> dict[str, Any]:
    """What a teacher that is not a mixture declares about its state
    (:meth:`teacher.Teacher.describe_state`): RIAC's leaf regions, the oracle's window,
    ADR's box, else the counts every teacher keeps."""
    return live.cur.teacher.describe_state()


def alp_series(alps: Sequence[float], points: int = 400) -> dict[str, Any] | None:
    """ALP over episodes (``alps``: one per result, NaN where none) in at most ``points``
    equal buckets of episodes: each bucket's last episode, mean and max ALP. None when
    the teacher computes no ALP."""
    arr = np.asarray(alps, dtype=np.float64)
    if not len(arr) or np.isnan(arr).all():
        return None
    n = len(arr)
    edges = np.unique(np.linspace(0, n, min(points, n) + 1).astype(np.int64))
    filled = np.nan_to_num(arr, nan=0.0)
    mean = np.add.reduceat(filled, edges[:-1]) / np.diff(edges)
    top = np.maximum.reduceat(filled, edges[:-1])
    return {"episode": edges[1:].tolist(), "mean": _round(mean), "max": _round(top),
            "episodes": n}


def mastery_series(live: LiveCurriculum, points: int = 200) -> list[dict[str, Any]]:
    """Per test set: the rounds' step (None when not reported), % mastered, test episodes;
    at most ``points`` rounds per test set (evenly thinned, the last one kept)."""
    by_set: dict[str, list[dict[str, Any]]] = {}
    for row in live.cur.mastery_summary():
        by_set.setdefault(row["test_set"] or "test set", []).append(row)
    out = []
    for name, rows in by_set.items():
        if len(rows) > points:
            keep = np.unique(np.linspace(0, len(rows) - 1, points).round().astype(int))
            rows = [rows[i] for i in keep]
        out.append({"test_set": name, "step": [r["step"] for r in rows],
                    "pct": [round(r["mastery_pct"], 3) for r in rows],
                    "evaluated": [r["evaluated"] for r in rows]})
    return out


def recent(rows: Sequence[EventRow], names: Sequence[str], last: int) -> dict[str, Any]:
    """From the log's tail ``rows``: the newest ``last`` task events as columns (params:
    one list per parameter in canonical order; origin kind; seq), and per worker the
    results in ``rows`` and their rate over the time those results span."""
    tasks: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for r in rows:  # each body parsed once: this runs on every page load
        if r.type == "task":
            tasks.append(pydantic_core.from_json(r.body))
        elif r.type == "result":
            results.append(pydantic_core.from_json(r.body))
    tasks = tasks[-last:]
    return {
        "names": list(names),
        "params": [[t["params"][n] for t in tasks] for n in names],
        "origin": [str(t["origin"]).partition(":")[0] for t in tasks],
        "task_seq": [t["seq"] for t in tasks],
        "workers": worker_throughput(results),
    }


def worker_throughput(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Results per worker among ``results`` (event objects in seq order) and their rate
    over the span from the first to the last of them."""
    if not results:
        return []
    span = _epoch(results[-1]["time"]) - _epoch(results[0]["time"])
    counts: dict[str, int] = {}
    for r in results:
        w = r.get("worker") or "(unnamed)"
        counts[w] = counts.get(w, 0) + 1
    return [{"worker": w, "results": n, "per_s": n / span if span > 0 else None,
             "window_s": span} for w, n in sorted(counts.items())]


def overview(live: LiveCurriculum, rate: float | None) -> dict[str, Any]:
    """Everything on the curriculum page except the task scatter, the throughput and the
    ALP series (see :func:`alp_series`). Reads the live curriculum: call it on the event
    loop, never from another thread."""
    space = live.cur.config.space
    cfg = live.cur.config.to_json()
    return {
        **summary(live, rate),
        "config": {"teacher_params": cfg["teacher_params"], "seed": cfg["seed"],
                   "reward_bounds": cfg["reward_bounds"],
                   "mastery_threshold": cfg["mastery_threshold"]},
        "space": {"names": list(space.names), "low": space.low.tolist(),
                  "high": space.high.tolist()},
        "mixture": mixture(live), "declared": declared_state(live),
        "mastery": mastery_series(live), "sources": SOURCES,
    }


def _round(a: np.ndarray) -> list[float]:
    return [float(f"{x:.6g}") for x in a.tolist()]


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
