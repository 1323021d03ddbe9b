"""One `curriculum grid` against the same runs started directly.

    python benchmarks/bench_grid.py [--steps 4096]

The grid: 2 teachers x 2 seeds, one PPO worker each, on a local Ray with 2 CPUs (so two
runs at a time), its server an actor, then the table, figure and replay checks. Direct:
one `curriculum serve` child process and the same four worker configurations run by
`curriculum student` subprocesses, two at a time. Overhead = grid wall time / direct wall
time - 1: Ray's start-up, actors, progress polling, log export, replays and the figure.
Rewrites the `grid` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import markdown_table, write_section  # noqa: E402
from curriculum._local import local_server  # noqa: E402
from curriculum.grid import GridSpec, _worker_config, run_grid  # noqa: E402

KWARGS = {"n_steps": 512, "batch_size": 64, "n_epochs": 2}


def direct(spec: GridSpec, root: Path) -> float:
    root.mkdir(parents=True)
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    with local_server(root / "direct.db", log_path=root / "server.log") as url:
        cmds = []
        for teacher, walker, seed in spec.runs():
            c = _worker_config(spec, url, f"direct-{teacher}-{seed}", teacher, walker, seed, 0)
            cmd = [sys.executable, "-m", "curriculum", "student", "--server", url,
                   "--curriculum", c["curriculum"], "--teacher", teacher,
                   "--teacher-seed", str(seed), "--seed", str(c["seed"]),
                   "--steps", str(spec.steps), "--run-dir", str(root / c["curriculum"]),
                   "--eval-every", str(spec.eval_every), "--eval-subset",
                   str(spec.eval_subset), "--eval-max-steps", str(spec.eval_max_steps),
                   "--max-episode-steps", str(spec.max_episode_steps),
                   "--checkpoint-every", str(spec.checkpoint_every),
                   "--no-progress", "--no-tensorboard"]
            cmds += [cmd + sum((["--algo-kwargs", f"{k}={v}"] for k, v in KWARGS.items()), [])]
        for i in range(0, len(cmds), 2):  # two at a time, like Ray with 2 CPUs
            procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL) for c in
                     cmds[i:i + 2]]
            for p in procs:
                if p.wait(timeout=3600) != 0:
                    raise RuntimeError(f"direct worker failed: {p.args}")
    return time.monotonic() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=4096)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = GridSpec(teachers=["alp-gmm", "random"], seeds=[0, 1], steps=a.steps,
                        eval_every=a.steps // 2, eval_subset=5, eval_max_steps=200,
                        max_episode_steps=500, checkpoint_every=a.steps // 4,
                        algo_kwargs=dict(KWARGS), storage=root / "grid")
        t_direct = direct(spec, root / "direct")
        print(f"direct: {t_direct:.1f} s")
        result = run_grid(spec, num_cpus=2, echo=lambda s: None)
        print(f"grid: {result.wall_seconds:.1f} s")
    over = result.wall_seconds / t_direct - 1
    rows = [["direct (curriculum serve + 4 × curriculum student, 2 at a time)",
             f"{t_direct:.1f}", "-"],
            ["curriculum grid (local Ray, 2 CPUs, server actor, 4 worker actors)",
             f"{result.wall_seconds:.1f}", f"{100 * over:+.0f}%"]]
    body = (
        f"2 teachers (alp-gmm, random) × 2 seeds, one PPO worker per run, {a.steps:,} "
        "steps each (n_steps 512, 2 epochs), evaluation on 5 paper50 tasks at half-way "
        "and the end, checkpoints every quarter, episodes capped at 500 steps. The grid's "
        "time includes starting Ray, exporting and replaying every log and drawing the "
        "figure. The machine's 2 cores were shared with other jobs.\n\n"
        + markdown_table(["how", "wall s", "overhead"], rows)
    )
    write_section("grid", "Experiment grid on Ray: wall time and overhead", body)
    print(f"overhead {100 * over:+.0f}%")


if __name__ == "__main__":
    main()
