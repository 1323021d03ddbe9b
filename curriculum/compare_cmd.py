"""``curriculum compare LOG_OR_RUN_DIR... --out DIR``: figures that compare teachers over
seeds. Wired into the typer app by ``app.command("compare")(compare)``; pandas and
matplotlib load only when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["compare"]


def compare(
    sources: Annotated[
        list[Path], typer.Argument(help="Event logs (.jsonl, .parquet) or run directories "
                                        "(every log below them).", show_default=False,
                                   metavar="LOG_OR_RUN_DIR"),
    ],
    out: Annotated[Path, typer.Option(help="Directory for the figures and tables.")] = Path(
        "compare"
    ),
    label: Annotated[
        str, typer.Option(help="How runs are grouped: a format string over teacher, name, "
                               "seed, file, dir and the teacher's hyper-parameters.")
    ] = "{teacher}",
    fmt: Annotated[
        str, typer.Option("--format", help="Comma-separated: png, pdf, svg.")
    ] = "png",
    dpi: Annotated[int, typer.Option(help="Resolution of PNG output.")] = 150,
    x: Annotated[
        str, typer.Option(help="Mastery over 'step', 'episode' or 'auto' (episodes for toy "
                               "logs).")
    ] = "auto",
    dims: Annotated[
        str | None, typer.Option(help="Parameters of the task distribution, e.g. x0,x1.")
    ] = None,
    band: Annotated[str, typer.Option(help="'ci95' (95% CI of the mean) or 'sd'.")] = "ci95",
) -> None:
    """Compare teachers over seeds: mastery (mean and band) per teacher, the final
    mastery table, and the distribution of issued tasks per teacher."""
    from teacher import TeacherError

    try:
        from teacher.analysis import compare as run_compare
    except ImportError as exc:
        typer.echo(f"error: 'curriculum compare' needs the analysis extra ({exc}): "
                   "pip install 'curriculum-teacher[analysis]'", err=True)
        raise typer.Exit(2) from None
    pair = tuple(p.strip() for p in dims.split(",")) if dims is not None else None
    try:
        result = run_compare(sources, out, label=label, formats=fmt, dpi=dpi, x=x,
                             dims=pair, band=band)
    except (TeacherError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    groups: dict[str, int] = {}
    for r in result.runs:
        groups[r.label] = groups.get(r.label, 0) + 1
    typer.echo(f"{len(result.runs)} runs in {len(groups)} groups: "
               + ", ".join(f"{g} ({n})" for g, n in sorted(groups.items())))
    if result.table is not None:
        typer.echo("final mastery (% of test set, mean ± sd over runs):")
        for row in result.table.itertuples():
            typer.echo(f"  {row.group:<24} {row.text:>14}  n={row.n}")
    for path in result.files:
        typer.echo(f"  wrote {path}")
    for name, why in result.skipped.items():
        typer.echo(f"  skipped {name}: {why}")
