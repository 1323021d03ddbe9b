"""The main job: a teacher server and student workers training on Stump Tracks."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import envs
from curriculum._local import local_server
from students import TeacherClient

ENV_ID = "StumpTracks-v1"


def _worker_cmd(url: str, i: int, run_dir: Path, seconds: float, fit_rate: int,
                cap: int, eval_tasks: int) -> list[str]:
    return [
        sys.executable, "-m", "curriculum", "student", "--server", url,
        "--curriculum", "demo", "--teacher", "alp-gmm",
        "--teacher-param", f"fit_rate={fit_rate}", "--teacher-param", "k_range=[2, 5]",
        "--env", ENV_ID, "--algo", "ppo",
        "--steps", str(10**9), "--max-seconds", str(seconds), "--seed", str(i),
        "--max-episode-steps", str(cap), "--eval-every", "0",
        "--eval-subset", str(eval_tasks), "--eval-max-steps", str(cap),
        "--run-dir", str(run_dir / f"worker-{i}"), "--no-progress",
    ]


def _status_line(info: dict[str, Any], elapsed: float) -> str:
    c = info["counts"]
    phase = "bootstrap (uniform tasks)" if not c["fits"] else f"ALP-GMM, {c['fits']} fits"
    return (f"[{elapsed:5.0f} s] episodes {c['results']:>5} | pending {c['pending']:>2} | "
            f"teacher: {phase}")


def run_demo(minutes: float, workers: int, run_dir: Path, fit_rate: int, cap: int,
             eval_tasks: int) -> dict[str, Any]:
    """Run the demo; returns its summary. Ctrl-C stops everything cleanly."""
    run_dir.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60
    print(f"curriculum-teacher demo: {workers} PPO workers on {ENV_ID} for {minutes:g} min")
    print(f"  run directory: {run_dir}")
    print(f"  teacher: ALP-GMM with fit_rate={fit_rate} (the paper uses 250) and episodes "
          f"capped at {cap} steps,\n  so the teacher leaves its bootstrap phase after "
          f"{fit_rate} episodes and refits every {fit_rate} episodes within the run.")
    with local_server(run_dir / "curriculum.db", log_path=run_dir / "server.log") as url:
        print(f"  teacher server: {url} (SQLite: {run_dir / 'curriculum.db'})")
        client = TeacherClient(url)
        info = client.create_curriculum(
            "demo", teacher="alp-gmm",
            space={k: list(v) for k, v in envs.task_bounds(ENV_ID).items()},
            # at most 5 components: 10 on a window of 50 points draws slivers
            teacher_params={"fit_rate": fit_rate, "k_range": [2, 5]},
            reward_bounds=(-150.0, 350.0),
            mastery_threshold=envs.mastery_threshold(ENV_ID), seed=0,
            environment={"id": ENV_ID, "walker": "default"},  # what the workers record
        )
        cid = str(info["id"])
        logs = [open(run_dir / f"worker-{i}.log", "ab") for i in range(workers)]  # noqa: SIM115
        procs = [
            subprocess.Popen(_worker_cmd(url, i, run_dir, seconds, fit_rate, cap, eval_tasks),
                             stdout=logs[i], stderr=subprocess.STDOUT, start_new_session=True)
            for i in range(workers)
        ]
        started = time.monotonic()
        interrupted = False
        try:
            while any(p.poll() is None for p in procs):
                time.sleep(1.0)
                if int(time.monotonic() - started) % 10 == 0:
                    print(_status_line(client.get_curriculum(cid), time.monotonic() - started))
        except KeyboardInterrupt:
            interrupted = True
            print("\ninterrupted: stopping workers (they save a checkpoint and flush reports)")
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
        finally:
            for p in procs:
                try:
                    p.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    p.kill()
            for fh in logs:
                fh.close()
        failed = [i for i, p in enumerate(procs) if p.returncode not in (0, None)]
        log_path = run_dir / "events.jsonl"
        n_events = client.export_events(cid, str(log_path))
        final = client.get_curriculum(cid)
        client.close()
    png = _plot(log_path, run_dir / "curriculum.png")
    summary = {
        "episodes": final["counts"]["results"], "fits": final["counts"]["fits"],
        "tasks_issued": final["counts"]["tasks"], "evaluations": final["counts"]["evaluations"],
        "latest_mastery_pct": final.get("latest_mastery_pct"), "events": n_events,
        "event_log": str(log_path), "plot": str(png), "interrupted": interrupted,
        "failed_workers": failed,
    }
    print("\nsummary")
    for k, v in summary.items():
        print(f"  {k:>20}: {v}")
    _print_story(log_path, minutes)
    if failed:
        print(f"  worker logs: {', '.join(str(run_dir / f'worker-{i}.log') for i in failed)}")
    return summary


def _print_story(log_path: Path, minutes: float) -> None:
    """What this short run can and cannot show (curriculum._story)."""
    from curriculum._story import run_story
    from teacher.analysis import load_log

    print(f"\nwhat {minutes:g} minutes can show: no test task is mastered yet "
          "(latest_mastery_pct 0.0 is expected;\n  the paper trains each walker for 20M "
          "steps, hours to days), but the teacher at work is visible:")
    for line in run_story(load_log(log_path)):
        print(f"  {line}")


def _plot(log_path: Path, png: Path) -> Path:
    """The run at a glance: where tasks went over time, where the teacher found progress
    (its latest mixture, components coloured by ALP), and how training returns changed
    on the teacher's tasks against uniform ones (plots shared with teacher.analysis)."""
    from matplotlib.figure import Figure

    from teacher.analysis import load_log, plot_gmm, plot_returns, plot_tasks

    log = load_log(log_path)
    has_fit = not log.fits.empty
    fig = Figure(figsize=(20.0 if has_fit else 14.0, 5.4))
    axes = fig.subplots(1, 3 if has_fit else 2, squeeze=False)[0]
    plot_tasks(log, ax=axes[0], color_by="episode")
    axes[0].set_title(f"where the {len(log.tasks)} tasks went (colour: episode)")
    if has_fit:
        plot_gmm(log, -1, ax=axes[1])
        axes[1].set_title("where the teacher found progress (latest fit, colour: ALP)")
    plot_returns(log, ax=axes[-1])
    axes[-1].set_title("how training returns changed")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    return png
