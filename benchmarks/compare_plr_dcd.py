"""Our ``plr`` against the reference Robust PLR sampler (facebookresearch/dcd's
``level_replay/level_sampler.py``) on the paper's toy student.

TeachMyAgent has no PLR, so the reference is the code of the Robust PLR paper itself. Its
``LevelSampler`` is loaded from a checkout given on the command line (never copied into
this repository; ``np.float`` is shimmed at run time for today's numpy), with the
configuration of dcd's BipedalWalker Robust PLR run (buffer 1000, replay_prob 0.5,
rho 0.5, rank transform at temperature 0.1, staleness_coef 0.5, proportionate schedule,
replay-support buffer priority). dcd's levels are integer seeds: here seed s generates the
task ``numpy.random.default_rng(s).random(2)``, uniform in the box as our new levels are.
Both teachers get the same score, our return-change proxy (docs/teachers.md (`plr`)), which
this driver computes for dcd's sampler from the returns it has seen; so the comparison
isolates the sampler and the buffer.

Usage::

    git -C /work/.mirror/facebookresearch+dcd/repo archive HEAD level_replay \\
        | tar -x -C /work/ref-dcd
    .venv/bin/python -m benchmarks.compare_plr_dcd /work/ref-dcd --seeds 10
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._toy_run import timed_run
from teacher import ToyStudent, make_teacher

CHECKPOINTS = (5_000, 10_000, 20_000)
DCD_CONFIG = {  # train_scripts/grid_configs/bipedal/bipedal_robust_plr.json + arguments.py
    "strategy": "positive_value_loss", "replay_schedule": "proportionate",
    "score_transform": "rank", "temperature": 0.1, "rho": 0.5, "replay_prob": 0.5,
    "alpha": 1.0, "staleness_coef": 0.5, "staleness_transform": "power",
    "staleness_temperature": 1.0, "sample_full_distribution": True, "seed_buffer_size": 1000,
    "seed_buffer_priority": "replay_support",
}


def load_sampler(checkout: Path) -> Any:
    """dcd's LevelSampler class, from ``checkout/level_replay/level_sampler.py``."""
    path = checkout / "level_replay" / "level_sampler.py"
    if not path.is_file():
        raise SystemExit(f"{path} not found: pass the directory holding dcd's level_replay/")
    if not hasattr(np, "float"):
        np.float = float  # type: ignore[attr-defined]  # removed in numpy 1.24; dcd uses it
    spec = importlib.util.spec_from_file_location("dcd_level_sampler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.seterr(all="warn")  # dcd sets 'raise' for the whole process at import
    return module.LevelSampler


def run_dcd(sampler_cls: Any, seed: int, episodes: int) -> tuple[list[float], float]:
    """The toy student on tasks of dcd's sampler; the % mastered at each checkpoint and
    the sampler's CPU ms per episode."""
    np.random.seed(seed)  # dcd draws from NumPy's global generator
    sampler = sampler_cls([], None, None, num_actors=1, **DCD_CONFIG)
    student = ToyStudent(random_state=seed)
    tasks: dict[int, np.ndarray] = {}
    last_return: dict[int, float] = {}
    out, cpu = [], 0.0
    for ep in range(1, episodes + 1):
        t0 = time.process_time()
        level = int(sampler.sample())
        cpu += time.process_time() - t0
        task = tasks.get(level)
        if task is None:
            task = tasks[level] = np.random.default_rng(level).random(2)
        ret = student.episode(task)
        if level in last_return:  # a buffered level: the change since its previous visit
            score = abs(ret - last_return[level])
        else:  # first visit: against the nearest buffered level's latest return
            size = sampler.working_seed_buffer_size
            buffered = [int(s) for s in sampler.seeds[:size]]
            if buffered:
                pts = np.array([tasks[s] for s in buffered])
                nearest = buffered[int(np.argmin(((pts - task) ** 2).sum(axis=1)))]
                score = abs(ret - last_return[nearest])
            else:
                score = 0.0
        t0 = time.process_time()
        sampler.update_seed_score(0, level, score, score, 1)
        cpu += time.process_time() - t0
        in_buffer = set(int(s) for s in sampler.seeds[: sampler.working_seed_buffer_size])
        if level in in_buffer:
            last_return[level] = ret
        for gone in [s for s in last_return if s not in in_buffer]:
            del last_return[gone]
        if ep in CHECKPOINTS:
            out.append(student.score())
    return out, 1e3 * cpu / episodes


def run_ours(seed: int, episodes: int) -> tuple[list[float], float]:
    student = ToyStudent(random_state=seed)
    teacher = make_teacher("plr", student.space, random_state=seed)
    out, cpu = timed_run(student, lambda: teacher.sample().task, teacher.update, episodes,
                         at=CHECKPOINTS)
    return out, 1e3 * cpu / episodes


def _fmt(values: list[float]) -> str:
    a = np.asarray(values)
    return f"{a.mean():.1f} ± {a.std(ddof=1) if len(a) > 1 else 0.0:.1f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkout", type=Path, help="directory holding dcd's level_replay/")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--episodes", type=int, default=20_000, choices=[20_000])
    args = p.parse_args(argv)
    sampler_cls = load_sampler(args.checkout)
    start = time.time()
    rows = []
    for label, fn in (("dcd LevelSampler (reference)", lambda s: run_dcd(sampler_cls, s,
                                                                          args.episodes)),
                      ("ours (plr, defaults)", lambda s: run_ours(s, args.episodes))):
        scores, cpus = [], []
        for seed in range(args.seeds):
            sc, cpu = fn(seed)
            scores.append(sc)
            cpus.append(cpu)
            print(f"  {label} seed {seed}: {sc}", file=sys.stderr, flush=True)
        cols = [_fmt([s[i] for s in scores]) for i in range(len(CHECKPOINTS))]
        rows.append(f"| {label} | {' | '.join(cols)} | {np.mean(cpus):.3f} |")
    print(f"Paper toy student, {args.episodes:,} episodes, seeds 0..{args.seeds - 1}, "
          "mean ± sd of % cells mastered; CPU = the teacher's process time per episode.\n")
    print("| teacher | 5k | 10k | 20k | CPU ms / episode |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nWall time {time.time() - start:.0f} s.")


if __name__ == "__main__":
    main()
