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
import statistics
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
    ap.add_argument("--rounds", type=int, default=2, help="alternating order each round")
    a = ap.parse_args()
    times: dict[str, list[float]] = {"direct": [], "grid": []}
    for r in range(a.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            spec = GridSpec(teachers=["alp-gmm", "random"], seeds=[0, 1], steps=a.steps,
                            eval_every=a.steps // 2, eval_subset=5, eval_max_steps=200,
                            max_episode_steps=500, checkpoint_every=a.steps // 4,
                            algo_kwargs=dict(KWARGS), storage=root / "grid")
            for how in (("direct", "grid") if r % 2 == 0 else ("grid", "direct")):
                if how == "direct":
                    times["direct"].append(direct(spec, root / "direct"))
                else:
                    times["grid"].append(run_grid(spec, num_cpus=2,
                                                  echo=lambda s: None).wall_seconds)
                print(f"round {r + 1}: {how} {times[how][-1]:.1f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    over = med["grid"] / med["direct"] - 1
    per = {k: " / ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    rows = [["direct (curriculum serve + 4 × curriculum student, 2 at a time)",
             f"{med['direct']:.1f}", per["direct"], "-"],
            ["curriculum grid (local Ray, 2 CPUs, server actor, 4 worker actors)",
             f"{med['grid']:.1f}", per["grid"], f"{100 * over:+.0f}%"]]
    body = (
        f"2 teachers (alp-gmm, random) × 2 seeds, one PPO worker per run, {a.steps:,} "
        "steps each (n_steps 512, 2 epochs), evaluation on 5 paper50 tasks at half-way "
        "and the end, checkpoints every quarter, episodes capped at 500 steps; "
        f"{a.rounds} rounds, the order alternating. The grid's time includes starting "
        "Ray, exporting and replaying every log and drawing the figure. The machine's 2 "
        "cores were shared with other jobs (other agents' tests), so rounds vary. The "
        "direct runs start in pairs and the next pair waits for both of the previous one, "
        "while Ray gives a freed CPU to the next run at once: that, not a cheaper worker, "
        "is why the grid can finish first. Its own costs are inside its total (ray.init "
        "alone took 6-10 s on this machine).\n\n"
        + markdown_table(["how", "median wall s", "per round", "overhead"], rows)
    )
    write_section("grid", "Experiment grid on Ray: wall time and overhead", body)
    print(f"overhead {100 * over:+.0f}%")

if __name__ == "__main__":
    main()
