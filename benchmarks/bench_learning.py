"""Learning benchmark: ALP-GMM versus Random teachers for PPO on Stump Tracks.

Not part of CI: it trains real agents for as long as this machine allows (about an hour
on 2 cores with the defaults). Each run is one in-process student worker (the same code
path as remote workers, minus HTTP) with its curriculum's event log in its run directory.
Mastery is the % of test tasks (the first ``--eval-tasks`` of ``paper50``) whose return
exceeds 230, evaluated every ``--eval-every`` steps.

    .venv/bin/python -m benchmarks.bench_learning              # the recorded run
    .venv/bin/python -m benchmarks.bench_learning --steps 20000 --seeds 1   # smoke test

Paper scale (SAC, 20M steps per run) is for bigger machines: see the README.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks._results import markdown_table, write_section

PLOT = Path(__file__).with_name("learning_curves.png")


def _run(args: tuple[str, int, int, int, int, str, int]) -> dict:
    teacher, seed, steps, eval_every, eval_tasks, root, fit_rate = args
    from students import StudentConfig, run_student

    run_dir = Path(root) / f"{teacher}-seed{seed}"
    cfg = StudentConfig(
        in_process=True, curriculum=f"{teacher}-{seed}", teacher=teacher, teacher_seed=seed,
        teacher_params={"fit_rate": fit_rate} if teacher == "alp-gmm" else {},
        env_id="StumpTracks-v1", algo="ppo", steps=steps, seed=seed, run_dir=run_dir,
        eval_every=eval_every, eval_subset=eval_tasks, progress=False,
    )
    t0 = time.monotonic()
    summary = run_student(cfg)
    return {"teacher": teacher, "seed": seed, "mastery": summary.mastery,
            "test_returns": summary.test_returns,
            "episodes": summary.episodes_reported, "seconds": time.monotonic() - t0}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=460_800)  # 225 PPO rollouts of 2048
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--eval-every", type=int, default=153_600)
    p.add_argument("--eval-tasks", type=int, default=25)
    p.add_argument("--teachers", default="alp-gmm,random")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--fit-rate", type=int, default=50,
                   help="ALP-GMM fit_rate (paper: 250; short runs have few hundred episodes)")
    p.add_argument("--root", default="runs/bench-learning")
    p.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    p.add_argument("--replot", action="store_true",
                   help="only redraw the plot from ROOT/runs.json")
    a = p.parse_args()
    if a.replot:
        _plot(json.loads((Path(a.root) / "runs.json").read_text()), a.teachers.split(","))
        return
    jobs = [(t, s, a.steps, a.eval_every, a.eval_tasks, a.root, a.fit_rate)
            for s in range(a.seeds) for t in a.teachers.split(",")]
    t0 = time.monotonic()
    with ProcessPoolExecutor(a.workers) as pool:
        runs = list(pool.map(_run, jobs))
    wall = time.monotonic() - t0
    Path(a.root).mkdir(parents=True, exist_ok=True)
    (Path(a.root) / "runs.json").write_text(json.dumps(runs, indent=2))

    steps_axis = sorted({s for r in runs for s, _ in r["mastery"]})
    rows = []
    for teacher in a.teachers.split(","):
        mine = [r for r in runs if r["teacher"] == teacher]
        row = [teacher, len(mine)]
        for step in steps_axis:
            vals = [m for r in mine for s, m in r["mastery"] if s == step]
            rets = [m for r in mine for s, m in r["test_returns"] if s == step]
            row.append(f"{np.mean(vals):.1f} ± {np.std(vals):.1f} ({np.mean(rets):.0f})"
                       if vals else "-")
        row.append(int(np.mean([r["episodes"] for r in mine])))
        row.append(f"{np.mean([r['seconds'] for r in mine]) / 60:.1f}")
        rows.append(row)
    headers = (["teacher", "seeds"] + [f"{s // 1000}k steps" for s in steps_axis]
               + ["episodes", "min/run"])
    table = markdown_table(headers, rows)
    print(table)
    _plot(runs, a.teachers.split(","))
    body = (
        f"PPO (SB3 defaults, 1 torch thread) on StumpTracks-v1, default walker, episodes "
        f"capped at 2000 steps, reward bounds (-150, 350); ALP-GMM with fit_rate="
        f"{a.fit_rate} (paper: 250, which a run this short would barely leave: its first few "
        f"hundred episodes are the uniform bootstrap); {a.steps:,} steps per run, "
        f"{a.seeds} seeds per teacher, {a.workers} runs in parallel ({wall / 60:.0f} min "
        f"wall). Mastery: % of the first {a.eval_tasks} `paper50` test tasks with return "
        f"> 230 (mean ± sd over seeds; in brackets the mean test return).\n\n{table}\n\n"
        "![mastery curves](learning_curves.png)"
        "\n\nRun it: `.venv/bin/python -m benchmarks.bench_learning` (see `--help`)."
        "\n\nPaper scale (SAC, ~20M steps per run, evaluation every 500k steps on the "
        "whole test set) needs a bigger machine and about a day per run: start one "
        "`curriculum serve` and, per run, `curriculum student --server URL --curriculum "
        "NAME --teacher alp-gmm --algo sac --paper-sac --steps 20000000 --eval-every "
        "500000 --checkpoint-every 500000 --seed S --teacher-seed S --run-dir runs/NAME` "
        "(the same with `--teacher random`), then compare the mastery curves with "
        "`teacher.analysis.plot_mastery`."
    )
    if not a.no_record:
        write_section("learning", "Learning: ALP-GMM vs Random on Stump Tracks (PPO)", body)


def _plot(runs: list[dict], teachers: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label in ((axes[0], "mastery", "% test tasks mastered (return > 230)"),
                           (axes[1], "test_returns", "mean test return")):
        for teacher in teachers:
            mine = [r for r in runs if r["teacher"] == teacher]
            steps = sorted({s for r in mine for s, _ in r[key]})
            vals = [[m for r in mine for s2, m in r[key] if s2 == s] for s in steps]
            mean, sd = [np.mean(v) for v in vals], [np.std(v) for v in vals]
            ax.plot(steps, mean, marker="o", label=teacher)
            ax.fill_between(steps, np.subtract(mean, sd), np.add(mean, sd), alpha=0.2)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(label)
        ax.legend()
    fig.suptitle("PPO on Stump Tracks (mean ± sd over seeds)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)


if __name__ == "__main__":
    main()
