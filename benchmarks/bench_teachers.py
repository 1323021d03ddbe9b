"""Teachers on the toy student (ALGORITHMS.md §4), and what ALP-GMM costs.

Runs every teacher on the paper's toy student and on fixed variants of it (see
``docs/teachers_bench.md``; the variants were fixed before ``alp-gmm+`` was tuned),
20,000 episodes over several seeds on 2 worker processes, and reports the % of cells
mastered at 5k/10k/20k (mean ± sd), the teacher's CPU time per 1,000 episodes (process
time around ``sample_task`` + ``update`` only), and how each teacher spends its episodes.
Then it times ALP-GMM's update and fit round against the history size (10^3..10^6 pairs,
no cap) and compares our batched numpy EM with scikit-learn's GaussianMixture.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.bench_teachers             # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.bench_teachers --quick     # small smoke run, no write
    .venv/bin/python -m benchmarks.bench_teachers --variants paper grid20 \\
        --teachers alp-gmm alp-gmm+ --seeds 3 --no-write --skip-costs
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from typing import Any

from benchmarks._results import markdown_table, write_section
from benchmarks._teacher_costs import em_vs_sklearn, history_costs, toy_windows
from benchmarks._teacher_tables import (
    CATEGORIES,
    LABELS,
    MASTERY,
    REFERENCE,
    REFERENCE_TEACHERS,
    RunResult,
    score_tables,
    summary_table,
    targets_table,
    usage_table,
)
from teacher import ToyStudent, make_teacher
from teacher.base import Teacher
from teacher.space import TaskSpace

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

# -- what is run -------------------------------------------------------------------------

#: Fixed before any tuning of alp-gmm+ (docs/teachers_bench.md).
VARIANTS: dict[str, dict[str, Any]] = {
    "paper": {},
    "distractors": {"distractors": 2},
    "unlearnable": {"unlearnable": 0.2, "noise": 0.05},
    "grid20": {"grid": 20},
    "cube": {"dims": 3, "grid": 6},
    # Issue 17, after TeachMyAgent's benchmark; fixed before any teacher was run on them.
    "forgetting": {"forgetting": 0.005},
    "trivial": {"trivial": 0.8},
    "unfeasible": {"unfeasible": 0.8},
}
TEACHERS = [*REFERENCE_TEACHERS, "adr", "alp-gmm+", "goal-gan", "plr", "setter-solver",
            "spdl"]
OPTIONAL_TEACHERS = ["oracle"]


#: --ablation: (label, teacher, hyper-parameters). The measurements behind the diagnosis
#: in docs/teachers_bench.md: which change to the paper's ALP-GMM matters.
ABLATION: list[tuple[str, str, dict[str, Any]]] = [
    ("alp-gmm", "alp-gmm", {}),
    ("alp-gmm alp_ties=earliest", "alp-gmm", {"alp_ties": "earliest"}),
    *[(f"alp-gmm alp_history={h}", "alp-gmm", {"alp_history": h})
      for h in (4000, 1000, 250, 100, 50, 20)],
    ("alp-gmm random_task_ratio=0.1", "alp-gmm", {"random_task_ratio": 0.1}),
    ("alp-gmm random_task_ratio=0", "alp-gmm", {"random_task_ratio": 0.0}),
    ("alp-gmm fit_rate=100", "alp-gmm", {"fit_rate": 100}),
    ("alp-gmm fit_rate=500", "alp-gmm", {"fit_rate": 500}),
    ("alp-gmm+ without regions (region_veto=0, region_ratio=0)", "alp-gmm+",
     {"region_veto": 0.0, "region_ratio": 0.0}),
    ("alp-gmm+ without region veto (region_veto=0)", "alp-gmm+", {"region_veto": 0.0}),
    ("alp-gmm+ without region tasks (region_ratio=0)", "alp-gmm+", {"region_ratio": 0.0}),
    ("alp-gmm+ region_ratio=0.3", "alp-gmm+", {"region_ratio": 0.3}),
    ("alp-gmm+ region_ratio=1", "alp-gmm+", {"region_ratio": 1.0}),
    ("alp-gmm+ region_veto=0.25", "alp-gmm+", {"region_veto": 0.25}),
    ("alp-gmm+ region_veto=1", "alp-gmm+", {"region_veto": 1.0}),
    ("alp-gmm+ region_veto=0.5, veto_tries=2", "alp-gmm+", {"veto_tries": 2}),
    ("alp-gmm+ region_veto=0.5, veto_tries=5", "alp-gmm+", {"veto_tries": 5}),
    ("alp-gmm+ region_veto=0.75", "alp-gmm+", {"region_veto": 0.75}),
    ("alp-gmm+ (alp_history=50, random_task_ratio=0.1, region_veto=0.5, veto_tries=10, "
     "region_ratio=0.5)", "alp-gmm+", {}),
    # Expert knowledge, not tuning: the start cell of the `trivial` variant (run it there).
    ("adr initial_task=(0.8, 0) (trivial's start cell)", "adr", {"initial_task": (0.8, 0.0)}),
]


#: The oracle's expert knowledge where the grid does not fill the box: start at the grid's
#: start cell and step 1/30 of the grid (not of the box) along x0.
ORACLE: dict[str, dict[str, Any]] = {
    "trivial": {"start": (0.8, 0.0), "step": (0.2 / 30, 1 / 30)},
    "unfeasible": {"step": (0.2 / 30, 1 / 30)},
}


def build_teacher(name: str, space: TaskSpace, seed: int, variant: str | None = None,
                  **params: Any) -> Teacher:
    """The teacher ``name`` (defaults unless ``params``); the oracle gets toy-scale
    settings (``ORACLE`` for ``variant``)."""
    if name == "oracle":
        params = {"threshold": 0.75, "start": tuple(0.0 for _ in range(space.dim)),
                  **ORACLE.get(variant or "", {}), **params}
    return make_teacher(name, space, random_state=seed, **params)




Job = tuple[str, str, dict[str, Any], str, int, int]  # label, teacher, params, variant, ...


def run_one(job: Job) -> RunResult:
    """One teacher on one toy student for ``episodes`` episodes."""
    label, name, params, variant, seed, episodes = job
    student = ToyStudent(random_state=seed, **VARIANTS[variant])
    teacher = build_teacher(name, student.space, seed, variant, **params)
    counts = dict.fromkeys(CATEGORIES, 0)
    alp_sum = dict.fromkeys(CATEGORIES, 0.0)
    scores: list[float] = []
    cpu = 0.0
    clock = time.process_time
    for ep in range(1, episodes + 1):
        t0 = clock()
        sample = teacher.sample()
        t1 = clock()
        cell = student.cell(sample.task)
        before = float(student.competence[cell])
        ret = student.episode(sample.task)
        t2 = clock()
        alp = teacher.update(sample.task, ret)
        cpu += (t1 - t0) + (clock() - t2)
        after = float(student.competence[cell])
        if after > before:
            cat = "useful" if before <= MASTERY else "over-practice"
        else:
            cat = "saturated" if before >= 100.0 else "too hard"
        counts[cat] += 1
        if alp == alp:  # not NaN
            alp_sum[cat] += alp
        if ep % 1000 == 0:
            scores.append(student.score())
    origins: dict[str, int] = {}
    for o in teacher.record_.origins:
        key = o.split(":", 1)[0]
        origins[key] = origins.get(key, 0) + 1
    return RunResult(label, variant, seed, episodes, scores, cpu, counts, alp_sum, origins)


def _init_worker() -> None:
    if threadpool_limits is not None:
        threadpool_limits(1)


def run_grid(configs: list[tuple[str, str, dict[str, Any]]], variants: list[str],
             seeds: list[int], episodes: int, workers: int = 2,
             progress: bool = True) -> list[RunResult]:
    """Every (label, teacher, params) x variant x seed, on ``workers`` processes (slowest
    jobs first)."""
    cost = {"random": 1, "oracle": 1, "adr": 1, "riac": 3}
    jobs: list[Job] = [(label, t, params, v, s, episodes) for v in variants
                       for label, t, params in configs for s in seeds]
    jobs.sort(key=lambda j: -cost.get(j[1], 10))
    results: list[RunResult] = []
    start = time.time()
    if workers <= 1:
        _init_worker()
        it = map(run_one, jobs)
        results = _collect(it, len(jobs), start, progress)
    else:
        with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
            results = _collect(pool.imap_unordered(run_one, jobs), len(jobs), start, progress)
    return results


def _collect(it, n: int, start: float, progress: bool) -> list[RunResult]:
    out = []
    for i, r in enumerate(it, 1):
        out.append(r)
        if progress:
            print(f"  [{i}/{n}] {r.teacher:>12} {r.variant:<11} seed {r.seed}: "
                  f"{r.scores[-1]:5.1f}%  ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)
    return out


# -- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--seeds", type=int, default=10, help="number of seeds")
    p.add_argument("--first-seed", type=int, default=0,
                   help="seeds run are first-seed .. first-seed + seeds - 1 (held-out checks: "
                   "seeds 0..39 took part in choosing alp-gmm+, seeds 100..119 did not). "
                   "Held-out seeds, lengths other than 20,000 episodes and seed counts "
                   "other than 10 write their own RESULTS.md section (so does a set of "
                   "teachers other than the default one)")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--teachers", nargs="+", default=TEACHERS,
                   choices=TEACHERS + OPTIONAL_TEACHERS)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true",
                   help="3,000 episodes, 2 seeds, small cost tables; implies --no-write")
    p.add_argument("--skip-costs", action="store_true", help="skip the cost tables")
    p.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    p.add_argument("--ablation", action="store_true",
                   help="run the ALP-GMM / ALP-GMM+ ablation (ABLATION) instead of the "
                   "teachers; prints only")
    p.add_argument("--rows", nargs="+", metavar="TEXT",
                   help="with --ablation: only the rows whose label contains one of these")
    args = p.parse_args(argv)
    episodes, n_seeds = args.episodes, args.seeds
    sizes = [10**3, 10**4, 10**5, 10**6]
    if args.quick:
        episodes, n_seeds, sizes = 3_000, 2, [10**3, 10**4]
        args.no_write = True
    if episodes < 1000:
        p.error("--episodes must be at least 1000")
    if args.first_seed < 0:
        p.error(f"--first-seed must be >= 0, got {args.first_seed}")
    seeds = list(range(args.first_seed, args.first_seed + n_seeds))
    t_start = time.time()

    print(f"Running {len(args.teachers)} teachers x {len(args.variants)} variants x "
          f"{n_seeds} seeds x {episodes:,} episodes on {args.workers} workers",
          file=sys.stderr)
    if args.ablation:
        rows = [r for r in ABLATION
                if not args.rows or any(text in r[0] for text in args.rows)]
        if not rows:
            p.error(f"--rows {args.rows} matches no ablation row")
        results = run_grid(rows, args.variants, seeds, episodes, args.workers)
        labels = [label for label, _, _ in rows]
        print(summary_table(results, labels, args.variants, episodes))
        for v in args.variants:
            print(f"\n{v}\n\n" + usage_table(results, labels, v))
        return
    configs = [(t, t, {}) for t in args.teachers]
    results = run_grid(configs, args.variants, seeds, episodes, args.workers)
    sections = [
        "Toy student of ALGORITHMS.md §4 and fixed variants of it "
        "(docs/teachers_bench.md); teacher and student share the seed. "
        f"{episodes:,} episodes, seeds {seeds[0]}..{seeds[-1]}, mean ± sd of % cells mastered. "
        "CPU = teacher process time (sample_task + update, fits included) per 1,000 "
        "episodes, one BLAS thread.",
        "### Summary\n\n" + summary_table(results, args.teachers, args.variants, episodes),
        "### Per variant\n\n" + score_tables(results, args.teachers, args.variants, episodes),
    ]
    ref_rows = [[LABELS[t], *REFERENCE[t]] for t in REFERENCE_TEACHERS]
    sections.append("### Reference (ALGORITHMS.md §4, paper toy student, 5 seeds)\n\n"
                    + markdown_table(["teacher", "5k", "10k", "20k", "50k (3 seeds)"],
                                     ref_rows))
    tgt = targets_table(results, episodes)
    if tgt:
        sections.append("### Targets\n\n" + tgt + "\n\nALP-GMM+ must beat every reference "
                        "teacher at 20k on `paper` and on ≥ 4 variants (summary row above).")
    for v in args.variants:
        sections.append(
            f"### Where the episodes go ({v})\n\n"
            "useful: the cell's competence rose and it was not yet mastered (≤ 75); "
            "over-practice: it rose past mastery; saturated: already at 100; too hard: no "
            "gain (no mastered lower/left neighbour, or unlearnable). Mean ALP: the ALP the "
            "teacher computed for those episodes.\n\n"
            + usage_table(results, args.teachers, v))
    if not args.skip_costs:
        print("Timing ALP-GMM against history size", file=sys.stderr)
        _init_worker()
        sections.append("### ALP-GMM cost against history size (paper defaults, no cap, 2-D)"
                        "\n\n" + history_costs(sizes)
                        + "\n\nTarget: ≤ 0.5 ms amortised per episode, flat from 10^3 to "
                        "10^6 pairs.")
        print("Numpy EM against scikit-learn", file=sys.stderr)
        windows = toy_windows(4 if args.quick else 12)
        sections.append("### Batched numpy EM against scikit-learn GaussianMixture\n\n"
                        + em_vs_sklearn(windows, list(range(2, 11))))
    sections.append(f"Total wall time {time.time() - t_start:.0f} s. Run: "
                    "`make bench-teachers` (full) or `.venv/bin/python "
                    "benchmarks/bench_teachers.py --help`.")
    body = "\n\n".join(sections)
    print(body)
    if not args.no_write:  # the standard run, held-out seeds and other lengths: own sections
        key, title = "teachers", "Teachers on the toy student"
        if seeds[0] != 0:
            key = f"{key}-heldout-{seeds[0]}"
            title = f"{title}, held-out seeds {seeds[0]}..{seeds[-1]}"
        if episodes != 20_000:
            key, title = f"{key}-{episodes // 1000}k", f"{title}, {episodes:,} episodes"
        if n_seeds != 10:
            key, title = f"{key}-{n_seeds}seeds", f"{title}, {n_seeds} seeds"
        if args.variants != list(VARIANTS):
            key = f"{key}-{'-'.join(args.variants)}"
            title = f"{title}, variants {', '.join(args.variants)}"
        if sorted(args.teachers) != sorted(TEACHERS):  # a subset never replaces the full run
            key = f"{key}-{'-'.join(args.teachers)}"
            title = f"{title}: {', '.join(LABELS.get(t, t) for t in args.teachers)}"
        write_section(key, title, body)


if __name__ == "__main__":
    main()
