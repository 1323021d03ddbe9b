"""Our ``spdl`` against TeachMyAgent's own SPDL on the toy students (issue 17).

Runs TeachMyAgent's ``SelfPacedTeacher`` (flowersteam/TeachMyAgent,
``TeachMyAgent/teachers/algos/self_paced_teacher.py`` and its ``teachers/utils``, from a
checkout *outside* this repository whose path is the first argument; it needs torch)
and our ``spdl`` with the same hyper-parameters on the same toy students
(``benchmarks.bench_teachers.VARIANTS``), and compares the % of cells mastered: mean ±
sd per implementation, Welch's t-test and the 95% confidence interval of the difference.
Two arms of ours: ``ours, returns`` values each task by its own return, as the reference
does here (``value_bandwidth=None``: the like-for-like port check), and ``ours, default``
values it by the kernel regression of the returns that ``spdl`` uses by default.

Same settings on both sides: the settings of TeachMyAgent's published SPDL benchmark
(``max_kl`` 0.1, ``PercentageAlphaFunction(offset=10, zeta=0.25)``,
``use_avg_performance``, a 1,000-task buffer reset at each update), the update every 100
episodes after the first 400 (a toy episode is one environment step for TeachMyAgent, so
its ``update_frequency`` / ``update_offset`` in steps are 100 / 400), the initial Gaussian
on the low corner with sd 10% of each range, the target TeachMyAgent builds by default
(centre, sd a quarter of each range).

TeachMyAgent's code is imported, never copied, and its files are not edited. One
run-time shim stands in for the student's value network, which a toy student does not
have: the "initial state" TeachMyAgent records for each task is the episode's return and
the value estimator returns it, so its SPDL values each task by its return, as ours does
with ``value_bandwidth=None``. TeachMyAgent samples through torch's global generator, seeded
with the run's seed (``torch.manual_seed`` in its constructor).

Usage (from the repository root)::

    git --git-dir=/work/.mirror/flowersteam+TeachMyAgent/repo archive HEAD \\
        TeachMyAgent/__init__.py TeachMyAgent/teachers | tar -x -C /tmp/tma
    .venv/bin/python -m benchmarks.bench_spdl_tma /tmp/tma              # 5 seeds, writes
    .venv/bin/python -m benchmarks.bench_spdl_tma /tmp/tma --quick      # smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._parity_stats import compare_table
from benchmarks._results import write_section
from benchmarks._toy_run import timed_run
from benchmarks.bench_teachers import VARIANTS
from teacher import ToyStudent, make_teacher

ARMS = ["reference", "ours, returns", "ours, default"]
CHECKPOINTS = (5_000, 10_000, 20_000)
#: Shared by every arm (see the module docstring).
UPDATE_FREQUENCY, UPDATE_OFFSET, MAX_KL, ALPHA_OFFSET, ZETA = 100, 400, 0.1, 10, 0.25


def load_reference(path: str) -> types.ModuleType:
    """TeachMyAgent's ``self_paced_teacher`` module from the checkout at ``path``."""
    root = Path(path).resolve()
    if not (root / "TeachMyAgent" / "teachers" / "algos" / "self_paced_teacher.py").is_file():
        raise SystemExit(f"{root} holds no TeachMyAgent/teachers/algos/self_paced_teacher.py: "
                         "pass the root of a flowersteam/TeachMyAgent checkout")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import importlib

    return importlib.import_module("TeachMyAgent.teachers.algos.self_paced_teacher")


def _reference_teacher(path: str, d: int, seed: int) -> Any:
    import importlib

    spt = load_reference(path)
    alpha = importlib.import_module("TeachMyAgent.teachers.utils.alpha_functions")
    low, high = np.zeros(d), np.ones(d)
    teacher = spt.SelfPacedTeacher(
        list(low), list(high), seed=seed, env_reward_lb=0.0, env_reward_ub=1.0,
        update_frequency=UPDATE_FREQUENCY, update_offset=UPDATE_OFFSET,
        alpha_function=alpha.PercentageAlphaFunction(ALPHA_OFFSET, ZETA),
        initial_dist={"mean": low.copy(), "variance": np.diag(((high - low) * 0.1) ** 2)},
        max_kl=MAX_KL, use_avg_performance=True, max_context_buffer_size=1000,
        reset_contexts=True)
    # The shim: the recorded "initial state" of a task is its return (see the docstring).
    teacher.value_estimator = lambda states: np.asarray(states, dtype=np.float64)[:, 0]
    return teacher


Job = tuple[str, str, int, int, str]  # arm, variant, seed, episodes, reference path


def run_one(job: Job) -> dict[str, Any]:
    """One arm on one toy student: % mastered every 1,000 episodes, teacher CPU, and the
    updates TeachMyAgent reported skipping or failing (it prints them)."""
    arm, variant, seed, episodes, ref_path = job
    student = ToyStudent(random_state=seed, **VARIANTS[variant])
    d = student.space.dim
    notes = ""
    if arm == "reference":
        teacher = _reference_teacher(ref_path, d, seed)

        def update(task: Any, reward: float) -> None:
            teacher.record_initial_state(task, np.array([reward]))
            teacher.step_update(None, None, reward, None, True)  # one step per episode
            teacher.episodic_update(task, reward, False)

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            scores, cpu = timed_run(student, teacher.sample_task, update, episodes)
        warnings = [line for line in printed.getvalue().splitlines() if line.strip()]
        notes = f"{len(warnings)} printed warnings" if warnings else ""
    else:
        values = {"value_bandwidth": None} if arm == "ours, returns" else {}
        ours = make_teacher("spdl", student.space, random_state=seed,
                            update_frequency=UPDATE_FREQUENCY, update_offset=UPDATE_OFFSET,
                            max_kl=MAX_KL, alpha_offset=ALPHA_OFFSET, zeta=ZETA, **values)
        scores, cpu = timed_run(student, ours.sample_task, ours.update, episodes)
    return {"arm": arm, "variant": variant, "seed": seed, "scores": scores, "cpu": cpu,
            "episodes": episodes, "notes": notes}


def _init_worker() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        pass
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - the reference arm then fails loudly
        pass


def run_grid(arms: list[str], variants: list[str], seeds: list[int], episodes: int,
             ref_path: str, workers: int) -> list[dict[str, Any]]:
    jobs: list[Job] = [(a, v, s, episodes, ref_path) for v in variants for s in seeds
                       for a in arms]
    jobs.sort(key=lambda j: j[0] != "reference")  # the slower arm first
    out: list[dict[str, Any]] = []
    start = time.time()
    with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
        for i, r in enumerate(pool.imap_unordered(run_one, jobs), 1):
            out.append(r)
            print(f"  [{i}/{len(jobs)}] {r['arm']:>9} {r['variant']:<11} seed {r['seed']:>3}: "
                  f"{r['scores'][-1]:5.1f}% {r['notes']} ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("reference", help="root of a flowersteam/TeachMyAgent checkout")
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    p.add_argument("--variants", nargs="+", default=["paper"], choices=list(VARIANTS))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true",
                   help="3,000 episodes, 2 seeds, paper only; implies --no-write")
    p.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = p.parse_args(argv)
    load_reference(args.reference)  # fail early on a bad path or a missing torch
    if args.quick:
        args.episodes, args.seeds, args.variants, args.no_write = 3_000, 2, ["paper"], True
    if args.episodes < 1000 or args.seeds < 2:
        p.error("need --episodes >= 1000 and --seeds >= 2")
    t_start = time.time()
    seeds = list(range(1, args.seeds + 1))
    print(f"{len(ARMS)} arms x {len(args.variants)} variants x {len(seeds)} seeds x "
          f"{args.episodes:,} episodes on {args.workers} workers", file=sys.stderr)
    results = run_grid(ARMS, args.variants, seeds, args.episodes, args.reference,
                       args.workers)
    checkpoints = [c for c in CHECKPOINTS if c <= args.episodes] or [args.episodes // 1000 * 1000]
    notes = sorted({f"{r['variant']} seed {r['seed']}: {r['notes']}" for r in results
                    if r["notes"]})
    body = "\n\n".join([
        "TeachMyAgent's SPDL (flowersteam/TeachMyAgent, run from a checkout outside the "
        "repository; each task valued by its return through a value-estimator shim) "
        "against our `spdl` on the same toy students (`ours, returns`: each task valued by "
        "its return too, `value_bandwidth=None`; `ours, default`: by the kernel regression "
        f"of the returns, `spdl`'s default), {args.episodes:,} episodes, seeds "
        f"{seeds[0]}..{seeds[-1]} (student and teacher share the seed), the same "
        f"hyper-parameters (update every {UPDATE_FREQUENCY} episodes after {UPDATE_OFFSET}, "
        f"max_kl {MAX_KL}, alpha offset {ALPHA_OFFSET}, zeta {ZETA}); % cells mastered, "
        "mean ± sd; Δ = ours - reference with Welch's t-test and its 95% CI. CPU = teacher "
        "process time per 1,000 episodes, updates included, one thread.",
        compare_table(results, ARMS, args.variants, checkpoints),
        ("TeachMyAgent printed: " + "; ".join(notes)) if notes else
        "TeachMyAgent printed no warning (no skipped update, no KL-bound violation).",
        f"Wall time {time.time() - t_start:.0f} s on {args.workers} worker processes; the "
        "machine's 2 cores were shared with other jobs. Run: `.venv/bin/python -m "
        "benchmarks.bench_spdl_tma /path/to/TeachMyAgent`.",
    ])
    print(body)
    if not args.no_write:
        key, title = "spdl-tma", "SPDL against TeachMyAgent's own"
        if args.episodes != 20_000 or args.variants != ["paper"]:
            key = f"{key}-{'-'.join(args.variants)}-{args.episodes // 1000}k"
            title = f"{title} ({', '.join(args.variants)}; {args.episodes:,} episodes)"
        write_section(key, title, body)


if __name__ == "__main__":
    main()
