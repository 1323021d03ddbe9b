"""What GoalGAN costs: fit durations, sampling time and event-log growth, for our default
networks and TeachMyAgent's sizes; optionally both on the paper toy student.

Fits run inline and single-threaded (teacher._nn.seeded), timed with process time. A fit
event carries every array of the fit (generator, discriminator and their RMSProp mean
squares; float32 values, so base64 float32 since event schema 5, half the float64 bytes
of earlier logs): its size depends on the network sizes only. Fits come at most
once per ``update_size`` labelled tasks (each ``n_rollouts`` episodes), and only for
batches with a positive label, so the log grows by at most 10^5 / (update_size x
n_rollouts) fit events per 10^5 episodes; the observed count comes from the toy runs.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.bench_goal_gan                 # costs only (~1 min)
    .venv/bin/python -m benchmarks.bench_goal_gan --toy --seeds 3 # + both sizes on `paper`
    .venv/bin/python -m benchmarks.bench_goal_gan --labels --seeds 10 --variants paper
        # what the default teacher sees on the toy student: labels, pool, fits per run
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks._results import markdown_table
from teacher import TaskSpace, ToyStudent, make_teacher, run_fit

CONFIGS: dict[str, dict[str, Any]] = {
    "ours (64, 64) / (64, 64)": {},
    "TeachMyAgent (256, 256) / (128, 128)": {"generator_layers": (256, 256),
                                             "discriminator_layers": (128, 128)},
}


def _fit_costs(params: dict[str, Any], repeats: int) -> dict[str, float]:
    space = ToyStudent().space
    pre, batch, nbytes, sample = [], [], 0, []
    for seed in range(repeats):
        t = make_teacher("goal-gan", space, random_state=seed, **params)
        first = t.pending_fit
        c0 = time.process_time()
        fit = run_fit(first)
        pre.append(time.process_time() - c0)
        t.install_fit(fit)
        nbytes = len(json.dumps(fit.to_json()))
        rng = np.random.default_rng(seed)  # one batch of labelled tasks, a third positive
        x = rng.uniform(-0.5, 0.5, size=(t.update_size, space.dim))
        y = (rng.random(t.update_size) < 1 / 3).astype(float)
        job = replace(first, fit_index=2, state=dict(fit.arrays), pretrain_tasks=None,
                      pretrain_iterations=0, batches=((x, y),))
        c0 = time.process_time()
        run_fit(job)
        batch.append(time.process_time() - c0)
        t.p_old = 0.0
        c0 = time.process_time()
        for _ in range(500):
            t.sample()
        sample.append((time.process_time() - c0) / 500)
    return {"pretrain_s": float(np.mean(pre)), "fit_s": float(np.mean(batch)),
            "fit_max_s": float(np.max(batch)), "bytes": nbytes,
            "sample_ms": 1e3 * float(np.mean(sample))}


def cost_table(repeats: int) -> str:
    rows = []
    defaults = make_teacher("goal-gan", TaskSpace({"x": (0.0, 1.0)}))
    most = 100_000 / (defaults.update_size * defaults.n_rollouts)
    for label, params in CONFIGS.items():
        c = _fit_costs(params, repeats)
        rows.append([label, f"{c['pretrain_s']:.2f}",
                     f"{c['fit_s']:.2f} (max {c['fit_max_s']:.2f})", f"{c['sample_ms']:.3f}",
                     f"{c['bytes'] / 1e3:.0f}", f"{c['bytes'] * most / 1e6:.0f}"])
    return markdown_table(
        ["networks (generator / discriminator)", "first fit s (pretrain 500 it.)",
         "fit s (250 it.)", "sample ms/task", "kB per fit event",
         "MB per 10^5 episodes at most"], rows)


def toy_rows(seeds: list[int], episodes: int, workers: int) -> str:
    from benchmarks.bench_teachers import run_grid
    configs = [(label, "goal-gan", params) for label, params in CONFIGS.items()]
    results = run_grid(configs, ["paper"], seeds, episodes, workers)
    rows = []
    for label, _, _ in configs:
        rs = [r for r in results if r.teacher == label]
        at = [[r.score_at(e) for r in rs] for e in (5000, 10000, episodes)]
        cells = [f"{np.mean(a):.1f} ± {np.std(a):.1f}" for a in at]
        cpu = 1e3 * np.mean([r.cpu_s / r.episodes for r in rs])
        rows.append([label, *cells, f"{cpu:.2f}"])
    return markdown_table(["networks", "5k", "10k", f"{episodes // 1000}k",
                           "teacher CPU ms/episode"], rows)


def _label_run(job: tuple[str, int, int]) -> dict[str, Any]:
    """One default ``goal-gan`` run, exactly as ``bench_teachers`` runs it (same student,
    teacher, seed and calls), counting what the teacher saw."""
    from benchmarks.bench_teachers import VARIANTS, build_teacher
    variant, seed, episodes = job
    student = ToyStudent(random_state=seed, **VARIANTS[variant])
    t = build_teacher("goal-gan", student.space, seed, variant)
    first_positive = None
    for ep in range(1, episodes + 1):
        s = t.sample()
        t.update(s.task, student.episode(s.task))
        if first_positive is None and t.n_positive_:
            first_positive = ep
    batches = t.n_labelled_ // t.update_size
    return {"variant": variant, "seed": seed, "score": student.score(),
            "labelled": t.n_labelled_, "positive": t.n_positive_, "pool": len(t.pool_),
            "fits": t.installed_fit_index, "batches": batches,
            "dropped": batches - (t.installed_fit_index - 1), "first_positive": first_positive}


def label_rows(variants: list[str], seeds: list[int], episodes: int, workers: int) -> str:
    """Per variant (and per seed on ``paper``): labelled tasks, positive labels, pool size,
    fits (the pretraining fit included) and batches dropped for want of a positive."""
    import multiprocessing as mp

    from benchmarks.bench_teachers import _init_worker
    jobs = [(v, s, episodes) for v in variants for s in seeds]
    with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
        runs = pool.map(_label_run, jobs)
    keys = ["score", "labelled", "positive", "pool", "fits", "dropped"]
    rows = []
    for v in variants:
        rs = [r for r in runs if r["variant"] == v]
        if v == "paper":
            for r in rs:
                rows.append([v, str(r["seed"]), *[f"{r[k]:g}" for k in keys],
                             str(r["first_positive"])])
        firsts = [r["first_positive"] for r in rs if r["first_positive"] is not None]
        rows.append([v, "mean", *[f"{np.mean([r[k] for r in rs]):.1f}" for k in keys],
                     f"{np.median(firsts):.0f} (median of {len(firsts)})" if firsts else "—"])
    return markdown_table(
        ["variant", "seed", f"% mastered at {episodes // 1000}k", "labelled tasks",
         "positive", "pool", "fits", "batches dropped", "first positive (episode)"], rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--toy", action="store_true", help="also run both sizes on `paper`")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--labels", action="store_true",
                   help="only count labels, pool and fits of the default teacher per run")
    p.add_argument("--variants", nargs="+", default=["paper"])
    args = p.parse_args(argv)
    start = time.time()
    if args.labels:
        print(label_rows(args.variants, list(range(args.seeds)), args.episodes, args.workers))
        print(f"\nwall time {time.time() - start:.0f} s")
        return
    print(cost_table(args.repeats))
    if args.toy:
        print()
        print(toy_rows(list(range(args.seeds)), args.episodes, args.workers))
    print(f"\nwall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
