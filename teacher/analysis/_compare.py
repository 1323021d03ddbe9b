"""Figures and tables that compare teachers over seeds: mastery curves with a confidence
band, final mastery (mean ± sd, n), and where each teacher sent its students."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from scipy import stats

from teacher.analysis._draw import new_axes
from teacher.analysis._log import CurriculumLog
from teacher.analysis._runs import Run, load_runs
from teacher.analysis._style import (
    check_dpi,
    check_formats,
    paper_style,
    save_figure,
    teacher_colors,
)
from teacher.analysis.errors import AnalysisError

__all__ = ["CompareResult", "compare", "final_mastery", "mastery_curves",
           "plot_compare_mastery", "plot_task_distribution"]

Source = str | os.PathLike[str] | CurriculumLog


def _runs(runs: Sequence[Run] | Iterable[Source], label: str = "{teacher}") -> list[Run]:
    items = list(runs)
    if items and all(isinstance(r, Run) for r in items):
        return items  # type: ignore[return-value]
    return load_runs(items, label=label)  # type: ignore[arg-type]


def _x_kind(runs: Sequence[Run], x: str) -> str:
    if x not in ("auto", "step", "episode"):
        raise AnalysisError(f"x must be 'auto', 'step' or 'episode', got {x!r}")
    if x != "auto":
        return x
    ms = [r.mastery for r in runs if len(r.mastery)]
    if not all(m["step"].notna().all() for m in ms):
        return "episode"
    # Toy logs report the episode count as their step: call the axis what it is.
    same = all((m["step"].astype("int64") == m["episode"]).all() for m in ms)
    return "episode" if same else "step"


def _run_curve(run: Run, x: str, test_set: str | None) -> pd.Series:
    m = run.mastery
    if test_set is not None:
        m = m[m["test_set"] == test_set]
    elif len(m):
        m = m[m["test_set"] == m["test_set"].iloc[0]]  # the first test set it reports
    if x == "step" and m["step"].isna().any():
        raise AnalysisError(f"{run.source}: some evaluations report no step; use x='episode'")
    return m.groupby(m[x].astype("int64"))["pct"].mean().sort_index()


def mastery_curves(
    runs: Sequence[Run] | Iterable[Source], *, x: str = "auto", test_set: str | None = None,
    band: str = "ci95", label: str = "{teacher}",
) -> pd.DataFrame:
    """Mastery per group over ``x`` (``step``, ``episode``, or ``auto``: steps, unless
    they are episode counts as in toy logs): columns group, x, mean, low, high, n.

    Each run's curve is linearly interpolated onto the union of its group's evaluation
    points, inside its own range only (n counts the runs present at each x). band:
    ``ci95`` (Student t 95% interval of the mean) or ``sd`` (mean ± one sd); no band
    where n < 2. test_set: the test set to use (default: each run's first).
    """
    runs = _runs(runs, label)
    if band not in ("ci95", "sd"):
        raise AnalysisError(f"band must be 'ci95' or 'sd', got {band!r}")
    kind = _x_kind(runs, x)
    rows = []
    for group in sorted({r.label for r in runs}):
        curves = [_run_curve(r, kind, test_set) for r in runs if r.label == group]
        curves = [c for c in curves if len(c)]
        if not curves:
            continue
        grid = np.unique(np.concatenate([c.index.to_numpy() for c in curves]))
        vals = np.full((len(curves), len(grid)), np.nan)
        for i, c in enumerate(curves):
            xs = c.index.to_numpy()
            inside = (grid >= xs[0]) & (grid <= xs[-1])
            vals[i, inside] = np.interp(grid[inside], xs, c.to_numpy())
        n = np.sum(~np.isnan(vals), axis=0)
        mean = np.nanmean(vals, axis=0)
        sd = np.full(len(grid), np.nan)
        many = n >= 2
        sd[many] = np.nanstd(vals[:, many], axis=0, ddof=1)
        half = sd if band == "sd" else np.where(
            many, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n), np.nan)
        rows += [[group, int(g), m, m - h, m + h, int(k)]
                 for g, m, h, k in zip(grid, mean, half, n, strict=True)]
    if not rows:
        raise AnalysisError("no run has evaluations with a mastery threshold to compare")
    out = pd.DataFrame(rows, columns=["group", "x", "mean", "low", "high", "n"])
    out.attrs["x"] = kind
    return out


def final_mastery(
    runs: Sequence[Run] | Iterable[Source], *, test_set: str | None = None,
    label: str = "{teacher}",
) -> pd.DataFrame:
    """Each group's mastery at its runs' last evaluation: columns group, n, mean, sd
    (NaN for one run), min, max, at (median x of those last evaluations), text
    (``"mean ± sd"``). Runs without evaluations are left out."""
    runs = _runs(runs, label)
    kind = _x_kind(runs, "auto")
    rows = []
    for group in sorted({r.label for r in runs}):
        last = [(c.index[-1], c.iloc[-1]) for c in
                (_run_curve(r, kind, test_set) for r in runs if r.label == group) if len(c)]
        if not last:
            continue
        v = np.array([p for _, p in last])
        sd = float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
        rows.append([group, len(v), float(v.mean()), sd, float(v.min()), float(v.max()),
                     int(np.median([x for x, _ in last])),
                     f"{v.mean():.1f} ± {sd:.1f}" if len(v) > 1 else f"{v.mean():.1f}"])
    if not rows:
        raise AnalysisError("no run has evaluations with a mastery threshold to compare")
    out = pd.DataFrame(rows, columns=["group", "n", "mean", "sd", "min", "max", "at", "text"])
    out.attrs["x"] = kind
    return out


def plot_compare_mastery(
    runs: Sequence[Run] | Iterable[Source], *, ax: Axes | None = None, x: str = "auto",
    test_set: str | None = None, band: str = "ci95", label: str = "{teacher}",
) -> Figure:
    """One line per group (mean over its runs) with a shaded band (see
    :func:`mastery_curves`), in the group's colour (the same in every figure)."""
    runs = _runs(runs, label)
    curves = mastery_curves(runs, x=x, test_set=test_set, band=band)
    colors = teacher_colors(r.label for r in runs)
    with paper_style():
        fig, ax = new_axes(ax, (4.8, 3.2))
        for group, c in curves.groupby("group", sort=True):
            n = int(c["n"].max())
            ax.plot(c["x"], c["mean"], color=colors[str(group)], label=f"{group} (n={n})")
            ax.fill_between(c["x"], c["low"], c["high"], color=colors[str(group)],
                            alpha=0.2, linewidth=0)
        ax.set_xlabel("environment steps" if curves.attrs["x"] == "step" else "episodes")
        ax.set_ylabel("% of test set mastered")
        ax.set_ylim(-2, 102)
        ax.set_xlim(left=0)
        what = "95% CI of the mean" if band == "ci95" else "± 1 sd"
        ax.set_title(f"mastery (mean, band: {what})")
        ax.legend(loc="upper left", frameon=False)
    return fig


def plot_task_distribution(
    runs: Sequence[Run] | Iterable[Source], *, dims: tuple[str, ...] | None = None,
    bins: int = 20, label: str = "{teacher}",
) -> Figure:
    """Where each group's tasks went, all its seeds pooled: a 2-D histogram per group
    (% of the group's tasks per bin, one colour scale for all panels) over two
    parameters, or in 1-D one histogram line per group in its colour."""
    runs = _runs(runs, label)
    space = runs[0].config.space
    names = list(space.names)
    dims = tuple(dims) if dims is not None else tuple(names[:2])
    if len(dims) not in (1, 2) or any(d not in names for d in dims):
        raise AnalysisError(f"dims must name one or two parameters among {names}, got {dims!r}")
    ix = [names.index(d) for d in dims]
    edges = [np.linspace(space.low[i], space.high[i], bins + 1) for i in ix]
    groups = sorted({r.label for r in runs})
    colors = teacher_colors(groups)
    pooled = {g: np.concatenate([r.tasks[:, ix] for r in runs if r.label == g]) for g in groups}
    with paper_style():
        if len(dims) == 1:
            fig, ax = new_axes(None, (4.8, 3.2))
            for g in groups:
                h, _ = np.histogram(pooled[g][:, 0], bins=edges[0])
                ax.stairs(100.0 * h / max(1, h.sum()), edges[0], color=colors[g], label=g)
            ax.set_xlabel(dims[0])
            ax.set_ylabel("% of tasks")
            ax.legend(frameon=False)
            return fig
        cols = min(3, len(groups))
        rows = -(-len(groups) // cols)
        fig = Figure(figsize=(2.7 * cols + 0.8, 2.5 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        hists = {g: np.histogram2d(pooled[g][:, 0], pooled[g][:, 1], bins=edges)[0]
                 for g in groups}
        pct = {g: 100.0 * h / max(1.0, h.sum()) for g, h in hists.items()}
        top = max(float(p.max()) for p in pct.values()) or 1.0
        for ax, g in zip(axes, groups, strict=False):
            ax.pcolormesh(edges[0], edges[1], pct[g].T, cmap="cividis", vmin=0,
                                 vmax=top)
            n_runs = sum(r.label == g for r in runs)
            ax.set_title(f"{g} ({n_runs} runs, {len(pooled[g])} tasks)", color=colors[g])
            ax.set_xlabel(dims[0])
            ax.set_ylabel(dims[1])
            ax.grid(False)
        for ax in axes[len(groups):]:
            ax.set_visible(False)
        fig.colorbar(ScalarMappable(Normalize(0, top), "cividis"), ax=axes.tolist(),
                     label="% of the teacher's tasks")
    return fig


@dataclass
class CompareResult:
    """What :func:`compare` wrote: the figure and table files, the final-mastery table,
    and the runs (with their labels)."""

    files: list[Path]
    table: pd.DataFrame | None
    runs: list[Run] = field(repr=False)
    skipped: dict[str, str] = field(default_factory=dict)


def compare(
    sources: Iterable[Source], out_dir: str | os.PathLike[str], *, label: str = "{teacher}",
    formats: str | Sequence[str] = ("png",), dpi: int = 150, x: str = "auto",
    dims: tuple[str, ...] | None = None, band: str = "ci95",
) -> CompareResult:
    """Load every log (files, run directories or CurriculumLogs), group them by ``label``
    and write ``mastery.<fmt>``, ``tasks.<fmt>`` and ``final_mastery.csv`` / ``.md``
    into ``out_dir``. Figures without data (no run has evaluations) are skipped and
    listed in ``skipped``."""
    formats, dpi = check_formats(formats), check_dpi(dpi)
    runs = load_runs(sources, label=label)
    out = Path(out_dir)
    files: list[Path] = []
    skipped: dict[str, str] = {}
    table = None
    if any(len(r.mastery) for r in runs):
        files += save_figure(plot_compare_mastery(runs, x=x, band=band), out, "mastery",
                             formats, dpi)
        table = final_mastery(runs)
        files += _write_table(table, out)
    else:
        skipped["mastery"] = "no run has evaluations with a mastery threshold"
    if any(len(r.tasks) for r in runs):
        files += save_figure(plot_task_distribution(runs, dims=dims), out, "tasks", formats,
                             dpi)
    else:
        skipped["tasks"] = "no run has issued tasks"
    return CompareResult(files, table, runs, skipped)


def _write_table(table: pd.DataFrame, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv, md = out / "final_mastery.csv", out / "final_mastery.md"
    table.drop(columns="text").to_csv(csv, index=False, float_format="%.3f")
    at = "episodes" if table.attrs.get("x") == "episode" else "steps"
    lines = [f"| teacher | final mastery (%) | n | at ({at}, median) |", "|---|---|---|---|"]
    lines += [f"| {r.group} | {r.text} | {r.n} | {r.at} |" for r in table.itertuples()]
    md.write_text("\n".join(lines) + "\n")
    return [csv, md]
