"""The ``curriculum`` command line (typer). Thin: parse, wire, delegate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from curriculum.compare_cmd import compare
from curriculum.grid_cmd import grid
from curriculum.serve_cmd import serve

app = typer.Typer(
    help="Automatic curricula for RL agents: teacher server, student workers, replays.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve)
app.command("compare")(compare)
app.command("grid")(grid)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _parse_params(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON (numbers, lists, strings, null)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            _fail(f"--teacher-param must look like name=value, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


@app.command()
def student(
    server: Annotated[str | None, typer.Option(help="Teacher server URL.")] = None,
    curriculum: Annotated[
        str | None, typer.Option(help="Curriculum to join or create (default: run dir name).")
    ] = None,
    teacher: Annotated[str, typer.Option(help="Teacher, if the curriculum is created.")] = (
        "alp-gmm"
    ),
    teacher_seed: Annotated[int, typer.Option(help="The curriculum's teacher seed.")] = 0,
    teacher_param: Annotated[
        list[str] | None, typer.Option(help="Teacher hyper-parameter name=value (repeat).")
    ] = None,
    env: Annotated[str, typer.Option(help="Environment id.")] = "StumpTracks-v1",
    walker: Annotated[str, typer.Option(help="default, short or quadruped.")] = "default",
    algo: Annotated[str, typer.Option(help="ppo, sac or td3.")] = "ppo",
    steps: Annotated[
        int | None, typer.Option(help="Environment steps to train (default 100000).")
    ] = None,
    n_envs: Annotated[
        int | None, typer.Option(help="Parallel environments (SubprocVecEnv; default 1).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The worker's seed.")] = 0,
    run_dir: Annotated[Path, typer.Option(help="Checkpoints, logs, summary.")] = Path(
        "runs/student"
    ),
    eval_every: Annotated[int, typer.Option(help="Steps between evaluations (0: at end).")] = 0,
    eval_set: Annotated[
        str | None, typer.Option(help="Test set: paper50, grid100 or uniform<N>.")
    ] = None,
    eval_subset: Annotated[int | None, typer.Option(help="Evaluate the first N tasks.")] = None,
    eval_max_steps: Annotated[int | None, typer.Option(help="Cap test episodes.")] = None,
    checkpoint_every: Annotated[int, typer.Option(help="Steps between checkpoints.")] = 0,
    max_episode_steps: Annotated[int | None, typer.Option(help="Training episode cap.")] = None,
    max_seconds: Annotated[float | None, typer.Option(help="Stop after this wall time.")] = None,
    token: Annotated[str | None, typer.Option(envvar="CURRICULUM_API_TOKEN")] = None,
    local: Annotated[bool, typer.Option(help="Start an embedded teacher server.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    paper_sac: Annotated[bool, typer.Option(help="The paper's SAC hyper-parameters.")] = False,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar (on a terminal; else plain lines).")
    ] = True,
    progress_every: Annotated[
        float, typer.Option(help="Seconds between plain progress lines (0: none).")
    ] = 30.0,
    worker: Annotated[str | None, typer.Option(
        envvar="CURRICULUM_WORKER",
        help="This worker's name in reports (default: host name and process id).")
    ] = None,
    task_param: Annotated[list[str] | None, typer.Option(
        help="Task space of another env: name=low:high (repeat), e.g. length=0.2:2.0.")
    ] = None,
    task_mode: Annotated[str, typer.Option(
        help="How --task-param values are applied: attributes or kwargs (rebuild).")
    ] = "attributes",
    mastery_threshold: Annotated[float | None, typer.Option(
        help="Return above which a test task is mastered (default: the env's).")
    ] = None,
    reward_bounds: Annotated[str | None, typer.Option(
        help="low:high returns map to [0, 1] for the teacher (default: env's, or raw).")
    ] = None,
    task_in_obs: Annotated[bool, typer.Option(
        help="Append the normalised task to the observation.")
    ] = False,
    hyperparams: Annotated[Path | None, typer.Option(
        help="RL Zoo hyper-parameter YAML (the section named after --env).")
    ] = None,
    algo_kwargs: Annotated[list[str] | None, typer.Option(
        help="SB3 hyper-parameter key=value (repeat; overrides the file).")
    ] = None,
    preset: Annotated[str | None, typer.Option(
        help="rlzoo-bipedalwalker-ppo or rlzoo-bipedalwalker-sac.")
    ] = None,
    tensorboard: Annotated[bool, typer.Option(
        help="TensorBoard event files in RUN_DIR/tensorboard.")
    ] = True,
    wandb_project: Annotated[str | None, typer.Option(
        help="Also log to this Weights & Biases project.")
    ] = None,
) -> None:
    """Train one SB3 worker on tasks chosen by the teacher."""
    from curriculum import _student_opts as opts
    from curriculum._local import local_server
    from students import StudentConfig, StudentError, run_student
    from teacher import TeacherError

    if local and server:
        _fail("--local starts its own server: do not also pass --server")
    try:
        hp = opts.hyperparams(algo=algo, env=env, paper_sac=paper_sac, preset=preset,
                              file=hyperparams, algo_kwargs=algo_kwargs)
        space = opts.task_space(task_param)
        bounds = opts.parse_bounds(reward_bounds, "--reward-bounds")
    except ValueError as exc:
        _fail(str(exc))
    cfg = StudentConfig(
        server=server, curriculum=curriculum, teacher=teacher, teacher_seed=teacher_seed,
        teacher_params=_parse_params(teacher_param), env_id=env, walker=walker, algo=algo,
        steps=steps or hp.n_timesteps or 100_000, n_envs=n_envs or hp.n_envs or 1,
        seed=seed, run_dir=run_dir, eval_every=eval_every,
        eval_set=eval_set, eval_subset=eval_subset, eval_max_steps=eval_max_steps,
        checkpoint_every=checkpoint_every, token=token, resume=resume,
        max_episode_steps=max_episode_steps, max_seconds=max_seconds, progress=progress,
        progress_every=progress_every, worker=worker,
        algo_kwargs=hp.algo_kwargs, normalize=hp.normalize, action_noise=hp.noise,
        task_params=space, task_mode=task_mode, mastery_threshold=mastery_threshold,
        reward_bounds=bounds, task_in_obs=task_in_obs, tensorboard=tensorboard,
        wandb_project=wandb_project,
    )
    try:
        if local:
            cfg.server = "http://127.0.0.1"  # replaced below; validates the rest first
            cfg.validate()
            run_dir.mkdir(parents=True, exist_ok=True)
            with local_server(run_dir / "curriculum.db", log_path=run_dir / "server.log",
                              token=token) as url:
                cfg.server = url
                summary = run_student(cfg)
                from students import TeacherClient

                with TeacherClient(url, token=token) as client:
                    n = client.export_events(summary.curriculum_id, str(run_dir / "events.jsonl"))
                typer.echo(f"exported {n} events to {run_dir / 'events.jsonl'}")
        else:
            summary = run_student(cfg)
    except (StudentError, TeacherError, ValueError) as exc:
        _fail(str(exc))
    for line in _student_report(summary, cfg.server if not local else None):
        typer.echo(line)


def _student_report(summary: Any, server: str | None) -> list[str]:
    """What a stopped worker says last: how it ended and where everything is."""
    run = Path(summary.run_dir)
    head = ("finished its steps" if not summary.stopped_early
            else f"stopped early ({summary.stop_reason})")
    lines = [f"worker {head} at step {summary.steps}"]
    lines.append(
        f"  checkpoint: {summary.checkpoint} (continue with --resume)" if summary.checkpoint
        else "  checkpoint: not saved (stopped at once); --resume continues from the last one"
    )
    lines.append(f"  episodes: this worker reported {summary.episodes_reported}; the "
                 f"curriculum now holds {summary.episodes} from all its workers")
    if summary.mastery:
        step, pct = summary.mastery[-1]
        lines.append(f"  last evaluation: {pct:.1f}% of test tasks mastered at step {step}")
    if summary.stopped_early and summary.stop_reason.startswith("signal"):
        lines.append("  final evaluation: skipped (stopped by a signal)")
    if server:
        lines.append(f"  event log: on the server {server}, curriculum "
                     f"{summary.curriculum_id} (GET /v1/curricula/{summary.curriculum_id}"
                     "/events)")
    elif (run / "events.jsonl").exists():
        lines.append(f"  event log: {run / 'events.jsonl'}")
    lines.append(f"  summary: {run / 'summary.json'}")
    return lines


@app.command()
def toy(
    teacher: Annotated[str, typer.Option(help="Teacher name.")] = "alp-gmm",
    episodes: Annotated[int, typer.Option(help="Episodes to run.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Teacher and student seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Where the event log goes.")] = Path("runs/toy"),
    teacher_param: Annotated[list[str] | None, typer.Option(help="name=value (repeat).")] = None,
) -> None:
    """Run a teacher on the paper's toy student and write its event log."""
    from curriculum._toy import run_toy
    from teacher import TeacherError

    try:
        path, _ = run_toy(  # each round printed as it happens: 20k episodes take seconds
            teacher, episodes, seed, out, _parse_params(teacher_param),
            on_round=lambda ep, score: typer.echo(
                f"episode {ep:>7}: {score:5.1f}% of cells mastered"),
        )
    except (TeacherError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"event log: {path}")


@app.command()
def demo(
    minutes: Annotated[float, typer.Option(help="Training wall time.")] = 3.0,
    workers: Annotated[int, typer.Option(help="Student worker processes.")] = 2,
    run_dir: Annotated[Path | None, typer.Option(help="Default: runs/demo-<time>.")] = None,
    fit_rate: Annotated[int, typer.Option(help="ALP-GMM fit rate (paper: 250).")] = 50,
    episode_cap: Annotated[int, typer.Option(help="Training episode cap in steps.")] = 400,
    eval_tasks: Annotated[int, typer.Option(help="Test tasks evaluated at the end.")] = 10,
) -> None:
    """The main job: a teacher server and PPO workers on Stump Tracks, then a summary
    and a plot of the curriculum."""
    import datetime as dt

    from curriculum._demo import run_demo

    if minutes <= 0 or workers < 1 or fit_rate < 2 or episode_cap < 1 or eval_tasks < 1:
        _fail("--minutes must be > 0, --workers, --episode-cap and --eval-tasks >= 1, "
              f"--fit-rate >= 2; got {minutes}, {workers}, {episode_cap}, {eval_tasks}, "
              f"{fit_rate}")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    summary = run_demo(minutes, workers, run_dir or Path(f"runs/demo-{stamp}"), fit_rate,
                       episode_cap, eval_tasks)
    if summary["failed_workers"]:
        raise typer.Exit(1)


@app.command()
def replay(
    log: Annotated[Path, typer.Argument(help="A JSON-lines or Parquet event log.")],
    out: Annotated[Path, typer.Option(help="Directory for the figures.")] = Path(
        "runs/plots"),
    dims: Annotated[
        str | None, typer.Option(help="Two parameters to plot, e.g. x0,x1.")
    ] = None,
    gif: Annotated[bool, typer.Option(help="Also write curriculum.gif.")] = True,
    lenient: Annotated[
        bool, typer.Option(help="Load the valid part before a bad line instead of failing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: png, pdf, svg.")] = (
        "png"
    ),
    dpi: Annotated[int, typer.Option(help="Resolution of PNG output.")] = 100,
) -> None:
    """Replay a curriculum log and write every plot (PNG, PDF or SVG) and a GIF."""
    from curriculum.replay_cmd import replay_command
    from teacher import TeacherError

    pair: tuple[str, str] | None = None
    if dims is not None:
        parts = [p.strip() for p in dims.split(",")]
        if len(parts) != 2 or not all(parts):
            _fail(f"--dims must be two parameter names like x0,x1, got {dims!r}")
        pair = (parts[0], parts[1])
    try:
        replay_command(str(log), str(out), pair, gif, strict=not lenient, echo=typer.echo,
                       formats=fmt, dpi=dpi)
    except (TeacherError, RuntimeError, OSError) as exc:
        _fail(str(exc))


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
