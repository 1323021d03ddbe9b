"""What Setter-Solver costs: fit durations, sampling time and log growth, for our default
network sizes and TeachMyAgent's.

On the paper toy student, fits inline and single-threaded (as ``bench_teachers`` runs
them): the process time of each fit (``run_fit``), of sampling and observing, and the
size of each fit's ``fit`` event as the event log stores it (JSON, base64 float32 for
the networks' float32 values: ``teacher._arrays``); the log growth per 10^5 episodes
follows from the update frequency. ``--candidates`` instead runs the default and smaller
network sizes (:data:`CANDIDATES`) on the paper toy student over several seeds, with each
one's fit-event size, to choose the default for the log budget.

Usage::

    .venv/bin/python -m benchmarks.bench_setter_solver --episodes 3000
    .venv/bin/python -m benchmarks.bench_setter_solver --candidates 10   # 10 seeds, 20k
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from typing import Any

import numpy as np

from benchmarks._results import machine, markdown_table
from teacher import ToyStudent, make_teacher, run_fit
from teacher._nn import import_torch
from teacher.events import FitEvent, event_to_json

#: TeachMyAgent's setter initialisation (N(0, I) latents), with which the comparisons
#: with it and the network-size candidates were measured (benchmarks/RESULTS.md).
REF = {"setter_start": "reference"}

#: (label, hyper-parameters): ours (the defaults) and TeachMyAgent's network sizes.
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("ours (defaults: hidden 32, 1 block, 1 highway layer, judge 64-64)", {}),
    ("TeachMyAgent's sizes (hidden 128, 3 blocks, 3 highway layers, judge 64-64)",
     {"setter_hidden_size": 128, "setter_blocks": 3, "setter_layers_per_block": 3, **REF}),
]

#: (label, hyper-parameters): the default and smaller networks that cut the log.
CANDIDATES: list[tuple[str, dict[str, Any]]] = [
    ("hidden 32, 3 blocks", {"setter_hidden_size": 32, "setter_blocks": 3, **REF}),
    ("hidden 32, 1 block", {"setter_hidden_size": 32, "setter_blocks": 1, **REF}),
    ("hidden 16, 3 blocks", {"setter_hidden_size": 16, "setter_blocks": 3, **REF}),
    ("hidden 16, 1 block", {"setter_hidden_size": 16, "setter_blocks": 1, **REF}),
]


def fit_event_bytes(params: dict[str, Any]) -> tuple[int, int]:
    """(weights, bytes of one logged fit event) of setter-solver with ``params``: the size
    depends on the network sizes only (one fit, paper toy student, seed 0)."""
    student = ToyStudent(random_state=0)
    teacher = make_teacher("setter-solver", student.space, random_state=0, **params)
    while teacher.pending_fit is None:
        task = teacher.sample_task()
        teacher.observe(task, student.episode(task))
    fit = run_fit(teacher.pending_fit)
    n_weights = sum(a.size for k, a in fit.arrays.items()  # type: ignore[union-attr]
                    if not k.startswith(("m.", "v.")))
    event = FitEvent(1, "2026-01-01T00:00:00Z", 1, fit)
    return n_weights, len(json.dumps(event_to_json(event)))


def candidates(seeds: int, episodes: int = 20_000) -> None:
    """Every candidate on the paper toy student, seeds 0..seeds-1, 2 worker processes."""
    from benchmarks.bench_teachers import run_grid

    import_torch("setter-solver")
    configs = [(label, "setter-solver", params) for label, params in CANDIDATES]
    results = run_grid(configs, ["paper"], list(range(seeds)), episodes)
    rows = []
    for label, params in CANDIDATES:
        n_weights, nbytes = fit_event_bytes(params)
        mine = sorted((r for r in results if r.teacher == label), key=lambda r: r.seed)
        cells = []
        for ep in (5_000, 10_000, episodes):
            a = np.array([r.score_at(ep) for r in mine])
            cells.append(f"{a.mean():.1f} ± {a.std(ddof=1) if len(a) > 1 else 0.0:.1f}")
        cpu = sum(r.cpu_s for r in mine) / sum(r.episodes for r in mine) * 1e3
        freq = make_teacher("setter-solver", ToyStudent().space, **params).update_frequency  # type: ignore[attr-defined]
        rows.append([label, f"{n_weights:,}", f"{nbytes / 1e3:,.0f} KB",
                     f"{nbytes * 1e5 / freq / 1e6:,.0f} MB", *cells,
                     ", ".join(f"{r.score_at(episodes):.0f}" for r in mine), f"{cpu:.2f}"])
    print(markdown_table(
        ["setter networks", "weights", "fit event", "log per 10^5 episodes", "5k", "10k",
         f"{episodes // 1000}k", f"per seed at {episodes // 1000}k", "teacher CPU ms/episode"],
        rows))
    print(f"\n{seeds} seeds (0..{seeds - 1}), {episodes:,} episodes, paper toy student, fits "
          f"inline; {machine()}.")


def measure(params: dict[str, Any], episodes: int, seed: int = 0) -> list[object]:
    student = ToyStudent(random_state=seed)
    teacher = make_teacher("setter-solver", student.space, random_state=seed, **params)
    fits: list[float] = []
    sizes: list[int] = []
    other = 0.0
    clock = time.process_time
    for _ in range(episodes):
        t0 = clock()
        task = teacher.sample_task()
        t1 = clock()
        ret = student.episode(task)
        t2 = clock()
        teacher.observe(task, ret)
        job = teacher.pending_fit
        t3 = clock()
        other += (t1 - t0) + (t3 - t2)
        if job is not None:
            fit = run_fit(job)
            t4 = clock()
            teacher.install_fit(fit)
            other += clock() - t4
            fits.append(t4 - t3)
            event = FitEvent(1, "2026-01-01T00:00:00Z", teacher.n_updates_, fit)
            sizes.append(len(json.dumps(event_to_json(event))))
    n_weights = sum(a.size for k, a in teacher.fit_.arrays.items()  # type: ignore[attr-defined]
                    if not k.startswith(("m.", "v.")))
    per_fit = float(np.mean(sizes))
    fit_ms = np.array(fits) * 1e3
    freq = teacher.update_frequency  # type: ignore[attr-defined]
    return [
        f"{n_weights:,}", f"{per_fit / 1e3:,.0f} KB", f"{per_fit * 1e5 / freq / 1e9:,.2f} GB",
        f"{np.median(fit_ms):.1f} / {fit_ms.max():.1f}",
        f"{other / episodes * 1e3:.2f}",
        f"{(other + fit_ms.sum() / 1e3) / episodes * 1e3:.2f}",
    ]


def toy_scores(job: tuple[int, dict[str, Any], int]) -> list[float]:
    """% cells mastered every 5,000 episodes of one seed on the paper toy student."""
    seed, params, episodes = job
    student = ToyStudent(random_state=seed)
    teacher = make_teacher("setter-solver", student.space, random_state=seed, **params)
    scores = []
    for ep in range(1, episodes + 1):
        task = teacher.sample_task()
        teacher.update(task, student.episode(task))
        if ep % 5000 == 0:
            scores.append(student.score())
            print(f"  seed {seed}, {ep:,} episodes: {scores[-1]:.1f}%", flush=True)
    return scores


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--episodes", type=int, default=3000)
    p.add_argument("--toy-seeds", type=int, default=0,
                   help="instead: TeachMyAgent's sizes on the paper toy student for this many "
                   "seeds (20,000 episodes, one process per seed)")
    p.add_argument("--candidates", type=int, default=0, metavar="SEEDS",
                   help="instead: the CANDIDATES network sizes on the paper toy student over "
                   "this many seeds (20,000 episodes, 2 processes)")
    args = p.parse_args(argv)
    if args.candidates:
        candidates(args.candidates)
        return
    if args.toy_seeds:
        params = CONFIGS[1][1]
        jobs = [(seed, params, 20_000) for seed in range(args.toy_seeds)]
        with mp.get_context("fork").Pool(len(jobs)) as pool:
            rows = pool.map(toy_scores, jobs)
        for seed, row in enumerate(rows):
            print(f"seed {seed}: % mastered at 5k, 10k, 15k, 20k: {row}")
        a = np.array(rows)
        sd = a.std(0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
        print("mean ± sd: " + ", ".join(f"{m:.1f} ± {s:.1f}" for m, s in zip(a.mean(0), sd,
                                                                        strict=True)))
        return
    import_torch("setter-solver")  # once per process: not a fit's cost
    rows = [[label, *measure(params, args.episodes)] for label, params in CONFIGS]
    print(markdown_table(
        ["networks", "weights", "fit event", "log per 10^5 episodes", "fit ms (median / max)",
         "sample + observe ms/episode", "teacher CPU ms/episode, fits inline"], rows))
    print(f"\n{args.episodes:,} episodes, paper toy student, seed 0, torch imported before; "
          f"{machine()}.")


if __name__ == "__main__":
    main()
