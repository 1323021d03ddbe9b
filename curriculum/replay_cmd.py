"""``curriculum replay LOG --out DIR``: every plot of a curriculum log as files (PNG, PDF,
SVG).

Kept apart from the CLI module so that pandas and matplotlib load only when the command
runs (``teacher.analysis`` is imported inside the function).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path


def replay_command(
    log: str,
    out: str,
    dims: tuple[str, str] | None = None,
    gif: bool = True,
    *,
    strict: bool = True,
    echo: Callable[[str], None] = print,
    formats: str = "png",
    dpi: int = 100,
) -> list[Path]:
    """Load the JSON-lines or Parquet log at ``log``, print a summary, and write every plot
    that has data into ``out`` (in each of ``formats``, comma-separated png, pdf, svg, at
    ``dpi``; plus ``curriculum.gif`` unless ``gif`` is False). dims: the two parameters to
    plot (default: the first two).

    Returns the files written. A malformed log raises :class:`teacher.EventLogError`
    (naming the file, line and problem); strict=False loads the valid part before the
    bad line instead, with a warning echoed once. ``out`` that exists and is not a
    directory raises NotADirectoryError naming it. Missing data (e.g. no fits) skips that plot and
    says so; unknown ``dims`` raise :class:`teacher.analysis.AnalysisError`.
    """
    try:
        from teacher.analysis import load_log, save_all_plots, skipped_plots
    except ImportError as exc:
        raise RuntimeError(
            f"'curriculum replay' needs the analysis extra ({exc}): "
            "pip install 'curriculum-teacher[analysis]'"
        ) from exc

    if Path(out).exists() and not Path(out).is_dir():
        raise NotADirectoryError(
            f"--out: {out!r} exists and is not a directory; give a directory for the PNG files"
        )
    with warnings.catch_warnings():
        # The loader's warnings are echoed below, once, with the summary.
        warnings.simplefilter("ignore")
        cl = load_log(log, strict=strict)
    c = cl.counts()
    echo(f"{log}: curriculum {cl.config.name!r}, teacher {cl.config.teacher}, "
         f"space ({', '.join(cl.param_names)})")
    echo(f"  {c['events']} events: {c['tasks']} tasks, {c['results']} results, "
         f"{c['fits']} fits, {c['evaluations']} evaluations")
    if cl.error is not None:
        echo(f"  warning: cut at line {cl.error.line}: {cl.error}")
    if cl.replay_error is not None:
        echo(f"  warning: exact replay stopped early ({cl.replay_error}); ALP is partial")
    skipped = skipped_plots(cl)
    paths = save_all_plots(cl, out, dims=dims, gif=gif, formats=formats, dpi=dpi)
    for p in paths:
        echo(f"  wrote {p}")
    for name, why in skipped.items():
        if gif or name != "curriculum.gif":
            echo(f"  skipped {name}: {why}")
    return paths
