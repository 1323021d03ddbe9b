"""``curriculum grid``: teachers × seeds × walkers, every run on a Ray cluster.

Each run is one curriculum on the teacher server (an actor started by the grid, or an
existing server given by URL) trained by ``workers`` student-worker actors. The grid
writes, under ``storage``: ``runs/<run>/`` (each worker's directory with checkpoints and
summary, the run's ``events.jsonl`` and ``summary.json``) and ``grid/`` (``table.md``,
``table.csv``, ``mastery.png`` and the compare tables). Every run's log is replayed
from scratch at the end and must reproduce the server's counts exactly.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["GridResult", "GridSpec", "GridSpecError", "RunResult", "load_spec", "run_grid"]


class GridSpecError(ValueError):
    """A grid specification field is missing, of the wrong type or out of range."""


@dataclass
class GridSpec:
    """What a grid runs. Lists multiply: one run per (teacher, walker, seed).

    steps: environment steps per worker. workers: worker actors per run, each declaring
    ``cpus_per_worker`` CPUs and ``gpus_per_worker`` GPUs to Ray. eval_every: steps
    between the mastery evaluations of a run's first worker (0: at the end only).
    checkpoint_every: steps between worker checkpoints (what a restarted worker resumes
    from). storage: a path every node can reach. server: an existing teacher server's
    URL (None: the grid starts one as an actor, its SQLite store under ``storage``).
    """

    teachers: list[str] = field(default_factory=lambda: ["alp-gmm", "random"])
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    walkers: list[str] = field(default_factory=lambda: ["default"])
    env: str = "StumpTracks-v1"
    algo: str = "ppo"
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    steps: int = 100_000
    workers: int = 1
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    eval_set: str | None = None
    eval_every: int = 0
    eval_subset: int | None = None
    eval_max_steps: int | None = None
    max_episode_steps: int | None = None
    checkpoint_every: int = 0
    max_restarts: int = 3
    storage: Path = Path("runs/grid")
    server: str | None = None
    token: str | None = None

    def validate(self) -> None:
        """Raise GridSpecError naming the first bad field, what it expects and got."""
        def bad(name: str, expected: str, got: Any) -> None:
            raise GridSpecError(f"grid spec: {name} must be {expected}, got {got!r}")

        for name in ("teachers", "walkers"):
            v = getattr(self, name)
            if not isinstance(v, list) or not v or not all(
                    isinstance(s, str) and s for s in v) or len(set(v)) != len(v):
                bad(name, "a non-empty list of distinct names", v)
        if not isinstance(self.seeds, list) or not self.seeds or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds
        ) or len(set(self.seeds)) != len(self.seeds):
            bad("seeds", "a non-empty list of distinct integers >= 0", self.seeds)
        for name, low in (("steps", 1), ("workers", 1), ("eval_every", 0),
                          ("checkpoint_every", 0), ("max_restarts", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                bad(name, f"an integer >= {low}", v)
        for name in ("eval_subset", "eval_max_steps", "max_episode_steps"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                bad(name, "a positive integer or null", v)
        for name in ("cpus_per_worker", "gpus_per_worker"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not (
                    math.isfinite(v) and v >= 0):
                bad(name, "a number >= 0", v)
        if self.server is not None and not str(self.server).startswith(("http://", "https://")):
            bad("server", "an http:// or https:// URL or null", self.server)
        if not isinstance(self.algo_kwargs, dict):
            bad("algo_kwargs", "a mapping of SB3 hyper-parameters", self.algo_kwargs)
        if not isinstance(self.env, str) or not self.env:
            bad("env", "an environment id", self.env)
        self.storage = Path(self.storage)

    def runs(self) -> list[tuple[str, str, int]]:
        """(teacher, walker, seed) of every run, in a fixed order."""
        return list(itertools.product(self.teachers, self.walkers, self.seeds))


def load_spec(data: Mapping[str, Any], **overrides: Any) -> GridSpec:
    """A GridSpec from a mapping (a parsed YAML file); ``overrides`` that are not None
    win. Unknown keys are an error naming them."""
    known = {f.name for f in fields(GridSpec)}
    merged = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise GridSpecError(f"grid spec: unknown field(s) {unknown}; known: {sorted(known)}")
    spec = GridSpec(**merged)
    spec.validate()
    return spec


@dataclass
class RunResult:
    """One run of the grid: its curriculum and what its workers did."""

    name: str
    teacher: str
    walker: str
    seed: int
    curriculum_id: str = ""
    steps: int = 0
    episodes: int = 0
    wall_seconds: float = 0.0
    final_mastery: float | None = None
    worker_starts: int = 0
    resumed_from: int = 0
    replay_ok: bool = False
    error: str | None = None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass
class GridResult:
    runs: list[RunResult]
    wall_seconds: float
    files: list[Path]


def _worker_config(spec: GridSpec, url: str, name: str, teacher: str, walker: str,
                   seed: int, w: int) -> dict[str, Any]:
    return {
        "server": url, "curriculum": name, "teacher": teacher, "teacher_seed": seed,
        "env_id": spec.env, "walker": walker, "algo": spec.algo, "steps": spec.steps,
        "seed": 1000 * seed + w, "run_dir": str(spec.storage / "runs" / name / f"worker-{w}"),
        # Only the first worker evaluates: one mastery curve per run, no double counting.
        "eval_every": spec.eval_every if w == 0 else -1, "eval_set": spec.eval_set,
        "eval_subset": spec.eval_subset, "eval_max_steps": spec.eval_max_steps,
        "checkpoint_every": spec.checkpoint_every, "token": spec.token,
        "max_episode_steps": spec.max_episode_steps, "worker": f"{name}/w{w}",
        "progress": False, "tensorboard": False, "algo_kwargs": dict(spec.algo_kwargs),
    }


def run_grid(spec: GridSpec, *, address: str | None = None, num_cpus: int | None = None,
             echo: Callable[[str], None] = print, poll_seconds: float = 5.0,
             timeout: float = 7 * 24 * 3600.0) -> GridResult:
    """Run every run of ``spec`` on Ray (``address``: 'auto' or host:port of a cluster;
    None starts a local Ray on 127.0.0.1 with ``num_cpus``), print progress every
    ``poll_seconds``, then write and print the results. Raises TimeoutError after
    ``timeout`` seconds (the actors are killed)."""
    import ray

    from curriculum import _ray_actors as actors

    spec.validate()
    spec.storage.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    own_ray = actors.connect(address, num_cpus=num_cpus)
    server = None
    workers: list[Any] = []
    try:
        if spec.server is None:
            url, server = _start_server(spec)
        else:
            url = spec.server.rstrip("/")
        echo(f"grid: {len(spec.runs())} runs × {spec.workers} worker(s) on Ray, "
             f"teacher server {url}, storage {spec.storage}")
        results: dict[str, RunResult] = {}
        pending: dict[Any, tuple[str, Any]] = {}
        remote_worker: Any = ray.remote(actors.WorkerActor)
        for teacher, walker, seed in spec.runs():
            name = f"{teacher}-{walker}-s{seed}"
            results[name] = RunResult(name, teacher, walker, seed)
            for w in range(spec.workers):
                actor = remote_worker.options(
                    num_cpus=spec.cpus_per_worker, num_gpus=spec.gpus_per_worker,
                    max_restarts=spec.max_restarts, max_task_retries=spec.max_restarts,
                ).remote(_worker_config(spec, url, name, teacher, walker, seed, w))
                workers.append(actor)
                pending[actor.run.remote()] = (name, actor)
        summaries: dict[str, list[dict[str, Any]]] = {n: [] for n in results}
        deadline = started + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"grid: {len(pending)} worker(s) still running after "
                                   f"{timeout:.0f} s")
            done, _ = ray.wait(list(pending), num_returns=len(pending),
                               timeout=poll_seconds)
            for ref in done:
                name, actor = pending.pop(ref)
                try:
                    summaries[name].append(ray.get(ref))
                except Exception as exc:  # a worker that failed past its restarts
                    results[name].error = f"{type(exc).__name__}: {exc}"[:500]
                ray.kill(actor, no_restart=True)  # frees its CPUs for the next runs
            _progress(spec, url, results, summaries, started, echo)
        for name, res in results.items():
            _collect(spec, url, res, summaries[name])
        from curriculum._grid_report import write_report

        files = write_report(spec, list(results.values()), echo)
        wall = time.monotonic() - started
        echo(f"grid: {len(results)} runs in {wall:.0f} s")
        return GridResult(list(results.values()), wall, files)
    finally:
        for actor in workers:
            ray.kill(actor, no_restart=True)
        if server is not None:
            with contextlib.suppress(Exception):  # the actor is killed next either way
                ray.get(server.stop.remote(), timeout=30)
            ray.kill(server, no_restart=True)
        if own_ray:
            ray.shutdown()


def _start_server(spec: GridSpec) -> tuple[str, Any]:
    """The server actor, restarted by Ray on the same store and port (kept in a file
    beside the store, so a rerun of the grid continues the same curricula)."""
    import ray

    from curriculum._ray_actors import ServerActor
    from curriculum.harness import free_port

    home = spec.storage / "server"
    home.mkdir(parents=True, exist_ok=True)
    port_file = home / "port"
    port = int(port_file.read_text()) if port_file.exists() else free_port()
    port_file.write_text(f"{port}\n")
    remote_server: Any = ray.remote(ServerActor)
    actor = remote_server.options(
        num_cpus=0, max_restarts=-1, max_task_retries=-1,
    ).remote(f"sqlite:///{(home / 'curriculum.db').resolve()}", port,
             pid_file=str(home / "starts.txt"))
    return str(ray.get(actor.address.remote(), timeout=120)), actor


def _progress(spec: GridSpec, url: str, results: dict[str, RunResult],
              summaries: dict[str, list[dict[str, Any]]], started: float,
              echo: Callable[[str], None]) -> None:
    from students.client import TeacherClient

    done = sum(len(s) == spec.workers or results[n].error is not None
               for n, s in summaries.items())
    parts = []
    try:
        with TeacherClient(url, token=spec.token, retries=0, timeout=5.0) as client:
            by_name = {c["name"]: c for c in client.list_curricula()}
    except Exception:  # the server may be restarting: progress is best effort
        by_name = {}
    for name in results:
        c = by_name.get(name)
        if c is not None:
            m = c.get("latest_mastery_pct")
            episodes = c.get("counts", {}).get("results", 0)
            parts.append(f"{name} {episodes} ep" + ("" if m is None else f" {m:.0f}%"))
    elapsed = time.monotonic() - started
    steps = sum(int(s["steps"]) for ss in summaries.values() for s in ss)
    echo(f"[{elapsed:6.0f} s] runs done {done}/{len(results)}, "
         f"{steps / max(elapsed, 1e-9):.0f} steps/s (finished workers); " + ", ".join(parts))


def _collect(spec: GridSpec, url: str, res: RunResult, summaries: list[dict[str, Any]]) -> None:
    """Export the run's log, replay it, and write the run's summary.json."""
    import teacher
    from students.client import TeacherClient

    run_dir = spec.storage / "runs" / res.name
    res.worker_starts = sum(
        len((p / "starts.txt").read_text().split()) for p in run_dir.glob("worker-*")
        if (p / "starts.txt").exists())
    if summaries:
        res.curriculum_id = str(summaries[0]["curriculum_id"])
        res.steps = sum(int(s["steps"]) for s in summaries)
        res.wall_seconds = max(float(s["wall_seconds"]) for s in summaries)
        res.resumed_from = max(int(s.get("resumed_from", 0)) for s in summaries)
        mastery = [m for s in summaries for m in s["mastery"]]
        res.final_mastery = float(mastery[-1][1]) if mastery else None
    if res.curriculum_id:
        log = run_dir / "events.jsonl"
        with TeacherClient(url, token=spec.token) as client:
            client.export_events(res.curriculum_id, str(log))
            live = client.get_curriculum(res.curriculum_id)["counts"]
        res.episodes = int(live.get("results", 0))
        try:
            rebuilt = teacher.Curriculum.from_events(
                teacher.read_jsonl(log), task_id_prefix=f"{res.curriculum_id}-")
            res.replay_ok = rebuilt.counts() == live
        except teacher.TeacherError as exc:
            res.error = res.error or f"replay: {exc}"
    (run_dir / "summary.json").write_text(json.dumps(
        {**asdict(res), "steps_per_second": res.steps_per_second}, indent=2) + "\n")

