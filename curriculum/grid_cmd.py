"""``curriculum grid [SPEC.yaml] [options]``: teachers × seeds × walkers on Ray. Wired
into the typer app by ``app.command("grid")(grid)``; Ray loads only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["grid"]


def grid(
    spec: Annotated[Path | None, typer.Argument(
        help="YAML grid spec (fields of curriculum.grid.GridSpec); options override it.",
        show_default=False)] = None,
    teacher: Annotated[list[str] | None, typer.Option(help="Teacher (repeat).")] = None,
    seed: Annotated[list[int] | None, typer.Option(help="Seed (repeat).")] = None,
    walker: Annotated[list[str] | None, typer.Option(help="Walker (repeat).")] = None,
    env: Annotated[str | None, typer.Option(help="Environment id.")] = None,
    algo: Annotated[str | None, typer.Option(help="ppo, sac or td3.")] = None,
    steps: Annotated[int | None, typer.Option(help="Environment steps per worker.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker actors per run.")] = None,
    cpus_per_worker: Annotated[float | None, typer.Option(help="CPUs each worker declares.")
                               ] = None,
    gpus_per_worker: Annotated[float | None, typer.Option(help="GPUs each worker declares.")
                               ] = None,
    eval_set: Annotated[str | None, typer.Option(help="paper50, grid100 or uniform<N>.")
                        ] = None,
    eval_every: Annotated[int | None, typer.Option(help="Steps between evaluations.")] = None,
    eval_subset: Annotated[int | None, typer.Option(help="Evaluate the first N tasks.")
                           ] = None,
    eval_max_steps: Annotated[int | None, typer.Option(help="Cap test episodes.")] = None,
    max_episode_steps: Annotated[int | None, typer.Option(help="Training episode cap.")
                                 ] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Steps between checkpoints.")
                                ] = None,
    storage: Annotated[Path | None, typer.Option(
        help="Checkpoints, logs and results; a path every node can reach.")] = None,
    server: Annotated[str | None, typer.Option(
        help="An existing teacher server's URL (default: the grid starts one).")] = None,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster: 'auto' or host:port (default: a local Ray on 127.0.0.1).")] = None,
    num_cpus: Annotated[int | None, typer.Option(help="CPUs of the local Ray.")] = None,
    token: Annotated[str | None, typer.Option(envvar="CURRICULUM_API_TOKEN")] = None,
) -> None:
    """Run a grid of curricula on Ray; print progress, then the table and figure."""
    from curriculum.grid import GridSpecError, load_spec, run_grid

    data: dict[str, Any] = {}
    if spec is not None:
        import yaml

        try:
            loaded = yaml.safe_load(spec.read_text())
        except (OSError, yaml.YAMLError) as exc:
            typer.echo(f"error: grid spec {spec}: {exc}", err=True)
            raise typer.Exit(2) from None
        if not isinstance(loaded, dict):
            typer.echo(f"error: grid spec {spec}: expected a mapping of fields, got "
                       f"{type(loaded).__name__}", err=True)
            raise typer.Exit(2)
        data = loaded
    try:
        grid_spec = load_spec(
            data, teachers=teacher or None, seeds=seed or None, walkers=walker or None,
            env=env, algo=algo, steps=steps, workers=workers,
            cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker,
            eval_set=eval_set, eval_every=eval_every, eval_subset=eval_subset,
            eval_max_steps=eval_max_steps, max_episode_steps=max_episode_steps,
            checkpoint_every=checkpoint_every, storage=storage, server=server, token=token,
        )
    except (GridSpecError, TypeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        typer.echo(f"error: 'curriculum grid' needs the ray extra ({exc}): "
                   "pip install 'curriculum-teacher[ray]'", err=True)
        raise typer.Exit(2) from None
    result = run_grid(grid_spec, address=address, num_cpus=num_cpus, echo=typer.echo)
    failed = [r.name for r in result.runs if r.error or not r.replay_ok]
    if failed:
        typer.echo(f"error: runs failed or did not replay exactly: {failed}", err=True)
        raise typer.Exit(1)
