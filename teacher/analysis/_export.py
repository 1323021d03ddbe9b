"""Files from a log: an animated GIF of the curriculum and every plot (PNG, PDF, SVG)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from teacher.analysis._draw import (
    alp_norm,
    as_log,
    draw_gmm,
    draw_tasks,
    fit_dims,
    interest_label,
    param_dims,
    place_labels,
    set_limits,
)
from teacher.analysis._log import CurriculumLog
from teacher.analysis._plots import plot_alp, plot_gmm, plot_mastery, plot_tasks
from teacher.analysis._style import check_dpi, check_formats, save_figure
from teacher.analysis.errors import AnalysisError

__all__ = ["animate_curriculum", "save_all_plots", "skipped_plots"]

MAX_FRAMES = 100


def animate_curriculum(
    log: Any, path: str | os.PathLike[str], *, frames: int = 20,
    dims: tuple[str, str] | None = None, fps: float = 4.0, dpi: int = 80,
) -> Path:
    """Write an animated GIF of the run: frame j shows the tasks issued so far (grey),
    those since the previous frame coloured by origin, and the mixture in force then
    (ellipses coloured by ALP on one scale for the whole run). ``frames`` (1..100)
    evenly spaced points in episodes; ``fps`` frames per second. Returns the path."""
    import imageio.v3 as iio

    log = as_log(log)
    if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_FRAMES:
        raise AnalysisError(f"frames must be an integer in [1, {MAX_FRAMES}], got {frames!r}")
    if not fps > 0:
        raise AnalysisError(f"fps must be > 0, got {fps!r}")
    if log.tasks.empty:
        raise AnalysisError("nothing to animate: the log has no tasks")
    dims2 = param_dims(log, dims)
    gmm_dims = fit_dims(log, dims) if log.covariances and len(dims2) == 2 else None
    last = max(len(log.results), int(log.tasks["episode"].max()) + 1)
    cuts = np.unique(np.linspace(0, last, frames + 1).round().astype(int))[1:]
    images = [_frame(log, dims2, gmm_dims, int(lo), int(hi), dpi)
              for lo, hi in zip(np.r_[0, cuts[:-1]], cuts, strict=True)]
    out = Path(path)
    iio.imwrite(out, np.stack(images), extension=".gif",
                duration=int(round(1000 / fps)), loop=0)
    return out


def _frame(log: CurriculumLog, dims: tuple[str, ...], gmm_dims: tuple[str, str] | None,
           lo: int, hi: int, dpi: int) -> np.ndarray:
    fig = Figure(figsize=(5.0, 4.5), dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    tasks = log.tasks
    older, recent = tasks[tasks["episode"] < lo], tasks[(tasks["episode"] >= lo)
                                                        & (tasks["episode"] < hi)]
    one_d = len(dims) == 1
    title = f"episodes {lo}-{hi}"
    if gmm_dims is not None:
        fits = log.fits[log.fits["episode"] <= hi]
        if len(fits):
            idx = int(fits["fit_index"].iloc[-1])
            cm = colormaps["viridis"]
            norm = alp_norm(log)
            draw_gmm(ax, log, idx, gmm_dims, cmap=cm, norm=norm, annotate=False)
            fig.colorbar(ScalarMappable(norm=norm, cmap=cm), ax=ax, label=interest_label(log))
            title += f" · fit {idx} (k={int(fits['k'].iloc[-1])})"
    if len(older):
        older = older.assign(origin="earlier")
        draw_tasks(ax, log, older, dims, size=4, alpha=0.3, labels=False)
    if len(recent):
        draw_tasks(ax, log, recent, dims, size=14)
        ax.legend(fontsize=7, loc="upper right")
    set_limits(ax, log, dims, episode_x=one_d)
    if one_d:
        ax.set_xlim(0, max(len(log.results), int(tasks["episode"].max()) + 1))
    ax.set_title(title, fontsize=10)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def skipped_plots(log: Any) -> dict[str, str]:
    """The files :func:`save_all_plots` leaves out for this log, with the reason."""
    log = as_log(log)
    out: dict[str, str] = {}
    if log.fits.empty:
        out["gmm.png"] = out["gmm_fits.png"] = (
            f"the log has no fits (teacher {log.config.teacher!r})"
        )
    elif not log.covariances:  # fits of another kind (e.g. SPDL's Gaussian): no mixture
        out["gmm.png"] = out["gmm_fits.png"] = (
            f"the log's fits are not mixtures (teacher {log.config.teacher!r})"
        )
    r = log.results
    if r.empty or r["alp"].isna().all():
        out["alp.png"] = f"no ALP recorded (teacher {log.config.teacher!r})"
    if log.evaluations.empty:
        out["mastery.png"] = "the log has no evaluations"
    if log.tasks.empty:
        out["tasks.png"] = out["curriculum.gif"] = "the log has no tasks"
    return out


def save_all_plots(
    log: Any, out_dir: str | os.PathLike[str], *, dims: tuple[str, str] | None = None,
    gif: bool = True, dpi: int = 100, max_fits: int = 9,
    formats: str | Sequence[str] = ("png",),
) -> list[Path]:
    """Write every plot that has data, in each of ``formats`` (png, pdf, svg) at ``dpi``:
    tasks (coloured by episode), tasks_origin (by how each was drawn), gmm (last fit),
    gmm_fits (up to ``max_fits`` fits spread over the run), alp, mastery, and
    curriculum.gif. Creates ``out_dir``; returns the files written (see
    :func:`skipped_plots`)."""
    log = as_log(log)
    formats, dpi = check_formats(formats), check_dpi(dpi)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    skip = skipped_plots(log)
    written: list[Path] = []

    def save(name: str, fig: Figure) -> None:
        written.extend(save_figure(fig, out, name, formats, dpi))

    if "tasks.png" not in skip:
        save("tasks", plot_tasks(log, dims=dims, color_by="episode"))
        save("tasks_origin", plot_tasks(log, dims=dims))
    if "gmm.png" not in skip:
        save("gmm", plot_gmm(log, -1, dims=dims))
        save("gmm_fits", _gmm_grid(log, dims, max_fits))
    if "alp.png" not in skip:
        save("alp", plot_alp(log))
    if "mastery.png" not in skip:
        save("mastery", plot_mastery(log))
    if gif and "curriculum.gif" not in skip:
        written.append(animate_curriculum(log, out / "curriculum.gif", dims=dims))
    return written


def _gmm_grid(log: CurriculumLog, dims: tuple[str, str] | None, max_fits: int) -> Figure:
    indices = log.fits["fit_index"].to_numpy()
    pick = np.unique(np.linspace(0, len(indices) - 1, min(max_fits, len(indices))).round())
    chosen = [int(indices[int(i)]) for i in pick]
    cols = min(3, len(chosen))
    rows = -(-len(chosen) // cols)
    fig = Figure(figsize=(5.2 * cols, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, idx in zip(axes, chosen, strict=False):
        plot_gmm(log, idx, dims=dims, ax=ax, colorbar=False, place=False)
        ax.title.set_fontsize(9)
    for ax in axes[len(chosen):]:
        ax.set_visible(False)
    # every legend is in place now: one layout, final label positions
    place_labels(fig, [t for ax in axes[:len(chosen)] for t in ax.texts])
    return fig
