"""Parity of our faithful ``alp-gmm`` with the paper's reference ALP-GMM (issue 17).

Runs the reference implementation (flowersteam/teachDeepRL,
``teachDRL/teachers/algos/alp_gmm.py``, from a checkout *outside* this repository whose
path is the first argument) and our ``alp-gmm`` on the same toy students
(``benchmarks.bench_teachers.VARIANTS``), with the same budgets and the paper's
hyper-parameters (ALGORITHMS.md §2: fit every 250 episodes on the last 250 rows, k in
2..10, AIC, one EM start, 20% uniform tasks), and compares the % of cells mastered:
mean ± sd per implementation, Welch's t-test and the 95% confidence interval of the
difference (ours - reference).

The reference code is imported, never copied. Two compatibility shims are installed at
run time, its files are not edited: ``gym.spaces.Box`` (the reference draws its uniform
tasks from a gym Box: float32, unseeded in the original; here a float32 uniform draw from
a ``RandomState`` seeded by the run's seed, so runs reproduce) — nothing else of gym is
used. scikit-learn's current ``GaussianMixture`` takes the reference's arguments
unchanged. The reference seeds NumPy's global RNG with its ``seed`` and treats seed 0 as
"no seed", so seeds start at 1.

Arms (``--arms``): ``reference``; ``ours`` (``alp-gmm``, defaults); ``ours-sklearn``
(our teacher fitting with scikit-learn's GaussianMixture: isolates the EM);
``ours-earliest`` (ALP ties to the earliest repeat, the rule before ``alp_ties``).

Usage (from the repository root)::

    git --git-dir=/work/.mirror/flowersteam+teachDeepRL/repo archive HEAD teachDRL/teachers \\
        | tar -x -C /tmp/teachdrl
    .venv/bin/python -m benchmarks.bench_parity /tmp/teachdrl              # 20 seeds, writes
    .venv/bin/python -m benchmarks.bench_parity /tmp/teachdrl --quick      # smoke run
    .venv/bin/python -m benchmarks.bench_parity /tmp/teachdrl --steps      # step checks only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._parity_stats import compare_table, step_table
from benchmarks._results import write_section
from benchmarks._toy_run import timed_run
from benchmarks.bench_teachers import VARIANTS
from teacher import ToyStudent, make_teacher

ARMS = ["reference", "ours", "ours-sklearn", "ours-earliest"]
OURS_PARAMS: dict[str, dict[str, Any]] = {
    "ours": {},
    "ours-sklearn": {"gmm_backend": "sklearn"},
    "ours-earliest": {"alp_ties": "earliest"},
}
CHECKPOINTS = (5_000, 10_000, 20_000)

# -- the reference, loaded from outside the repository ----------------------------------

_BOX_SEED = [0]


def _install_shims() -> None:
    """A stand-in for ``gym.spaces.Box`` (the only part of gym the reference's ALP-GMM
    uses): float32 uniform draws, seeded per run through ``_BOX_SEED``."""
    if "gym.spaces" in sys.modules:
        return

    class Box:
        def __init__(self, low: Any, high: Any, dtype: Any = np.float32):
            self.low = np.asarray(low, dtype=dtype)
            self.high = np.asarray(high, dtype=dtype)
            self.dtype = np.dtype(dtype)
            self.np_random = np.random.RandomState(_BOX_SEED[0])

        def sample(self) -> np.ndarray:
            return self.np_random.uniform(self.low, self.high).astype(self.dtype)

    gym = types.ModuleType("gym")
    spaces = types.ModuleType("gym.spaces")
    spaces.Box = Box  # type: ignore[attr-defined]
    gym.spaces = spaces  # type: ignore[attr-defined]
    sys.modules["gym"], sys.modules["gym.spaces"] = gym, spaces


def load_reference(path: str) -> types.ModuleType:
    """The reference ``alp_gmm`` module from the checkout at ``path``."""
    root = Path(path).resolve()
    if not (root / "teachDRL" / "teachers" / "algos" / "alp_gmm.py").is_file():
        raise SystemExit(f"{root} holds no teachDRL/teachers/algos/alp_gmm.py: pass the "
                         "root of a flowersteam/teachDeepRL checkout")
    _install_shims()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import importlib

    return importlib.import_module("teachDRL.teachers.algos.alp_gmm")


# -- one run -----------------------------------------------------------------------------

Job = tuple[str, str, int, int, str]  # arm, variant, seed, episodes, reference path


def run_one(job: Job) -> dict[str, Any]:
    """One arm on one toy student: % mastered every 1,000 episodes and teacher CPU."""
    arm, variant, seed, episodes, ref_path = job
    student = ToyStudent(random_state=seed, **VARIANTS[variant])
    d = student.space.dim
    if arm == "reference":
        alp_gmm = load_reference(ref_path)
        _BOX_SEED[0] = seed
        teacher = alp_gmm.ALPGMM([0.0] * d, [1.0] * d, seed=seed)  # paper defaults
        scores, cpu = timed_run(student, teacher.sample_task,
                                lambda task, reward: teacher.update(np.array(task), reward),
                                episodes)
    else:
        ours = make_teacher("alp-gmm", student.space, random_state=seed, **OURS_PARAMS[arm])
        scores, cpu = timed_run(student, ours.sample_task, ours.update, episodes)
    return {"arm": arm, "variant": variant, "seed": seed, "scores": scores, "cpu": cpu,
            "episodes": episodes}


def _init_worker() -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return
    threadpool_limits(1)


def _key(r: dict[str, Any]) -> tuple[str, str, int, int]:
    return r["arm"], r["variant"], int(r["seed"]), int(r["episodes"])


def load_runs(path: Path | None) -> list[dict[str, Any]]:
    """The runs recorded in the JSON-lines file ``path`` (none if it does not exist)."""
    if path is None or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_grid(arms: list[str], variants: list[str], seeds: list[int], episodes: int,
             ref_path: str, workers: int, out_path: Path | None = None) -> list[dict[str, Any]]:
    """Every (variant, seed, arm), variant by variant and seed by seed, so that a run
    stopped early leaves complete pairs. With ``out_path`` each run is appended there as
    it ends, and runs already recorded there are not run again."""
    done = {_key(r): r for r in load_runs(out_path)}
    jobs: list[Job] = [(a, v, s, episodes, ref_path) for v in variants for s in seeds
                       for a in arms if (a, v, s, episodes) not in done]
    out: list[dict[str, Any]] = [r for k, r in done.items()
                                 if k[0] in arms and k[1] in variants and k[2] in seeds
                                 and k[3] == episodes]
    if out:
        print(f"  {len(out)} runs read back from {out_path}", file=sys.stderr)
    start = time.time()
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, maxtasksperchild=20) as pool:
        for i, r in enumerate(pool.imap_unordered(run_one, jobs), 1):
            out.append(r)
            if out_path is not None:
                with out_path.open("a") as f:
                    f.write(json.dumps(r) + "\n")
            print(f"  [{i}/{len(jobs)}] {r['arm']:>13} {r['variant']:<11} seed {r['seed']:>3}: "
                  f"{r['scores'][-1]:5.1f}%  ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)
    return out


# -- step checks -------------------------------------------------------------------------


def alp_stream_check(ref_path: str, variant: str, seed: int, episodes: int) -> dict[str, Any]:
    """Feed one reference run's exact (task, return) stream to the reference's ALP
    computer and to ours (both tie rules): how often the ALPs differ, and why."""
    from teacher._neighbours import NearestNeighbours

    alp_gmm = load_reference(ref_path)
    student = ToyStudent(random_state=seed, **VARIANTS[variant])
    d = student.space.dim
    _BOX_SEED[0] = seed
    teacher = alp_gmm.ALPGMM([0.0] * d, [1.0] * d, seed=seed)
    tasks, rewards = [], []
    for _ in range(episodes):
        task = teacher.sample_task()
        reward = student.episode(task)
        teacher.update(np.array(task), reward)
        tasks.append(np.array(task, dtype=np.float64))
        rewards.append(float(reward))
    ref_alps = np.asarray(teacher.alps, dtype=np.float64)
    out: dict[str, Any] = {"variant": variant, "seed": seed, "episodes": episodes}
    arr = np.asarray(tasks)
    first_seen: dict[bytes, int] = {}
    repeats = 0
    for t in arr:
        key = t.tobytes()
        repeats += key in first_seen
        first_seen.setdefault(key, 1)
    out["repeats"] = repeats
    for ties in ("latest", "earliest"):
        nn = NearestNeighbours(d, ties=ties)
        alps = np.zeros(episodes)
        for i, t in enumerate(arr):
            if len(nn) > 5:
                j = nn.query(t)
                if j is not None:
                    alps[i] = abs(rewards[i] - rewards[j])
            nn.add(t)
        diff = ~np.isclose(alps, ref_alps, rtol=0, atol=1e-12)
        out[f"differ_{ties}"] = int(diff.sum())
        out[f"mean_{ties}"] = float(alps.mean())
    out["mean_reference"] = float(ref_alps.mean())
    return out


# -- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("reference", help="root of a flowersteam/teachDeepRL checkout")
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--seeds", type=int, default=20, help="seeds 1..N (the reference "
                   "treats seed 0 as no seed)")
    p.add_argument("--variants", nargs="+", default=["paper", "distractors", "cube"],
                   choices=list(VARIANTS))
    p.add_argument("--arms", nargs="+", default=["reference", "ours"], choices=ARMS)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true",
                   help="3,000 episodes, 2 seeds, paper only; implies --no-write")
    p.add_argument("--steps", action="store_true",
                   help="only the step check: ALPs on one reference stream per variant")
    p.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    p.add_argument("--out", type=Path, help="JSON-lines file: each run is appended as it "
                   "ends; runs already there are read back instead of run again")
    p.add_argument("--no-run", action="store_true",
                   help="with --out: tables from the runs recorded there only")
    args = p.parse_args(argv)
    load_reference(args.reference)  # fail early on a bad path
    if args.quick:
        args.episodes, args.seeds, args.variants, args.no_write = 3_000, 2, ["paper"], True
    if args.episodes < 1000 or args.seeds < 2:
        p.error("need --episodes >= 1000 and --seeds >= 2")
    t_start = time.time()
    sections = []
    if args.steps:
        rows = [alp_stream_check(args.reference, v, 1, args.episodes) for v in args.variants]
        body = step_table(rows)
        print(body)
        if not args.no_write:
            write_section("parity-steps", "ALP-GMM parity: ALP on the reference's own stream",
                          body + f"\n\nWall time {time.time() - t_start:.0f} s.")
        return
    seeds = list(range(1, args.seeds + 1))
    print(f"{len(args.arms)} arms x {len(args.variants)} variants x {len(seeds)} seeds x "
          f"{args.episodes:,} episodes on {args.workers} workers", file=sys.stderr)
    if args.no_run:
        if args.out is None:
            p.error("--no-run needs --out")
        results = [r for r in load_runs(args.out) if r["arm"] in args.arms
                   and r["variant"] in args.variants and r["seed"] in seeds
                   and r["episodes"] == args.episodes]
    else:
        results = run_grid(args.arms, args.variants, seeds, args.episodes, args.reference,
                           args.workers, args.out)
    if not results:
        p.error("no runs to report")
    seeds = sorted({r["seed"] for r in results})  # a stopped run may hold fewer
    checkpoints = [c for c in CHECKPOINTS if c <= args.episodes] or [args.episodes // 1000 * 1000]
    sections.append(
        f"Reference ALP-GMM (flowersteam/teachDeepRL, run from a checkout outside the "
        f"repository) against ours on the same toy students, {args.episodes:,} episodes, "
        f"seeds {seeds[0]}..{seeds[-1]} (`seeds`: how many per row; student and teacher "
        "share the seed), paper "
        "hyper-parameters; % cells mastered, mean ± sd; Δ = ours - reference with "
        "Welch's t-test and its 95% CI. CPU = teacher process time per 1,000 episodes.")
    sections.append(compare_table(results, args.arms, args.variants, checkpoints))
    sections.append(f"Wall time {time.time() - t_start:.0f} s on {args.workers} worker "
                    "processes. Run: `make bench-parity REF=/path/to/teachDeepRL`.")
    body = "\n\n".join(sections)
    print(body)
    if not args.no_write:
        key, title = "parity", "ALP-GMM parity with the reference code"
        if args.episodes != 20_000 or args.arms != ["reference", "ours"]:
            key = f"{key}-{'-'.join(args.arms)}-{args.episodes // 1000}k"
            title = f"{title} ({', '.join(args.arms)}; {args.episodes:,} episodes)"
        write_section(key, title, body)


if __name__ == "__main__":
    main()
