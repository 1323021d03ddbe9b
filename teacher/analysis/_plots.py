"""One-call plots of a curriculum log. Each returns a matplotlib Figure, draws on ``ax``
when given, and takes ``dims=(name_x, name_y)`` where the space has more than two
parameters. They accept a CurriculumLog or a CounterfactualResult."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from teacher.analysis._draw import (
    alp_norm,
    as_log,
    column_of,
    draw_gmm,
    draw_tasks,
    fit_dims,
    gmm_legend,
    interest_label,
    new_axes,
    param_dims,
    place_labels,
    set_limits,
)
from teacher.analysis.errors import AnalysisError

__all__ = ["plot_tasks", "plot_gmm", "plot_alp", "plot_mastery", "plot_returns"]


def plot_tasks(
    log: Any, *, dims: tuple[str, ...] | None = None, ax: Axes | None = None,
    color_by: str = "origin", episodes: tuple[int, int] | None = None,
    size: float | None = None,
) -> Figure:
    """Sampled tasks in two chosen parameters (in 1-D: parameter over episodes).

    color_by: ``"origin"`` (how each task was drawn: bootstrap, random, gaussian, region,
    mutation, oracle, box, boundary; never the component index, which every fit reuses) or
    ``"episode"`` (time, as a colour bar).
    episodes: (start, stop) keeps the tasks issued after ``start`` and up to ``stop``
    results.
    """
    log = as_log(log)
    dims = param_dims(log, dims)
    tasks = log.tasks
    if episodes is not None:
        start, stop = episodes
        tasks = tasks[(tasks["episode"] >= start) & (tasks["episode"] < stop)]
    if tasks.empty:
        raise AnalysisError("no tasks to plot" + (f" in episodes {episodes}" if episodes else ""))
    fig, ax = new_axes(ax, (7.2, 5.0))
    s = size if size is not None else float(np.clip(4000 / len(tasks), 3, 30))
    one_d = len(dims) == 1
    if color_by == "origin":
        draw_tasks(ax, log, tasks, dims, size=s)
        ax.legend(title="origin", fontsize=8, markerscale=max(1.0, 20 / s),
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif color_by == "episode":
        x = tasks["episode"] if one_d else tasks[column_of(log, dims[0])]
        sc = ax.scatter(x, tasks[column_of(log, dims[-1])], c=tasks["episode"], s=s,
                        cmap="cividis", edgecolors="none")
        fig.colorbar(sc, ax=ax, label="episode")
    else:
        raise AnalysisError(f"color_by must be 'origin' or 'episode', got {color_by!r}")
    set_limits(ax, log, dims, episode_x=one_d)
    ax.set_title(f"{log.config.name}: {len(tasks)} tasks ({log.config.teacher})")
    return fig


def plot_gmm(
    log: Any, fit_index: int = -1, *, dims: tuple[str, str] | None = None,
    ax: Axes | None = None, n_std: float = 2.0, show_data: bool = True,
    colorbar: bool = True, cmap: str = "viridis", legend: bool = True, place: bool = True,
) -> Figure:
    """The Gaussians of one fit as ``n_std``-sigma ellipses over two coordinates (task
    parameters, or e.g. ``("x0", "alp")``), coloured by each component's ALP and
    labelled with its index (labels never overlap); ``legend`` lists each component's
    ALP at its real magnitude and its weight beside the axes. fit_index: the logged
    index (1, 2, ...) or negative from the last.
    show_data: the episodes since the previous fit (the fitted window for ALP-GMM),
    coloured by their ALP on the same scale. place=False leaves the index labels where
    they are (call :func:`place_labels` once the whole figure is drawn)."""
    log = as_log(log)
    idx = log.resolve_fit(fit_index)
    d = fit_dims(log, dims)
    fig, ax = new_axes(ax)
    cm, norm = colormaps[cmap], alp_norm(log, idx)
    fit = log.fits[log.fits["fit_index"] == idx].iloc[0]
    if show_data and all(n in log.param_names or n == "alp" for n in d):
        fits = log.fits
        prev = fits.loc[fits["fit_index"] < idx, "episode"]
        start = int(prev.iloc[-1]) if len(prev) else 0
        r = log.results
        window = r[(r["episode"] > start) & (r["episode"] <= int(fit["episode"]))]
        xs = [window["alp" if n == "alp" else column_of(log, n)] for n in d]
        ax.scatter(xs[0], xs[1], c=window["alp"], cmap=cm, norm=norm, s=8, alpha=0.7,
                   edgecolors="none", zorder=3)
    draw_gmm(ax, log, idx, d, cmap=cm, norm=norm, n_std=n_std)
    ax.autoscale_view()
    set_limits(ax, log, d, episode_x=False)
    if colorbar:
        fig.colorbar(ScalarMappable(norm=norm, cmap=cm), ax=ax, label=interest_label(log),
                     location="left" if legend else "right")
    if legend:
        gmm_legend(ax, log, idx, cmap=cm, norm=norm)
    ax.set_title(f"fit {idx} at episode {int(fit['episode'])}: k={int(fit['k'])}")
    if place:
        place_labels(fig, list(ax.texts))
    return fig


def plot_alp(log: Any, *, ax: Axes | None = None, window: int | None = None) -> Figure:
    """ALP of every episode (points), its rolling mean (line), and at each fit the
    largest component ALP (markers on dotted fit lines)."""
    log = as_log(log)
    r = log.results
    if r.empty or r["alp"].isna().all():
        why = ("the log has no results" if r.empty
               else f"teacher {log.config.teacher!r} computes no ALP")
        raise AnalysisError(f"no ALP to plot: {why}")
    fig, ax = new_axes(ax, (8.0, 4.0))
    w = window or max(5, len(r) // 25)
    ax.scatter(r["episode"], r["alp"], s=4, alpha=0.3, color="C0", edgecolors="none",
               label="episode ALP")
    ax.plot(r["episode"], r["alp"].rolling(w, min_periods=1).mean(), color="C0", lw=2,
            label=f"rolling mean ({w} episodes)")
    comps = log.fit_components
    if not comps.empty:
        top = comps.groupby("fit_index").agg(episode=("episode", "first"), alp=("alp", "max"))
        for ep in top["episode"]:
            ax.axvline(ep, color="0.6", lw=0.8, ls=":")
        ax.plot(top["episode"], top["alp"], "o", color="C3", label="largest component ALP")
    ax.set_xlabel("episode")
    unit = "normalised return" if log.config.reward_bounds else "return units"
    ax.set_ylabel(f"ALP ({unit})")
    ax.set_title(f"{log.config.name}: absolute learning progress")
    ax.legend(fontsize=8)
    return fig


def plot_returns(log: Any, *, ax: Axes | None = None, window: int | None = None) -> Figure:
    """Training returns over episodes, as rolling means apart for the tasks drawn from the
    teacher's Gaussians (where it measured progress) and for the others (uniform:
    bootstrap and random), so a reader sees how returns changed where the teacher went."""
    log = as_log(log)
    r = log.results
    if r.empty:
        raise AnalysisError("no returns to plot: the log has no results")
    fig, ax = new_axes(ax, (8.0, 4.0))
    w = window or max(5, len(r) // 20)
    gauss = r["origin"].astype(str).str.startswith("gaussian")
    for mask, label, colour in ((gauss, "tasks from the Gaussians", "C3"),
                                (~gauss, "other tasks (uniform)", "C0")):
        part = r[mask]
        if part.empty:
            continue
        ax.scatter(part["episode"], part["return"], s=4, alpha=0.25, color=colour,
                   edgecolors="none")
        ax.plot(part["episode"], part["return"].rolling(w, min_periods=1).mean(),
                color=colour, lw=2, label=f"{label}, rolling mean of {w}")
    ax.set_xlabel("episode")
    ax.set_ylabel("training return")
    ax.set_title(f"{log.config.name}: training returns")
    ax.legend(fontsize=8)
    return fig


def plot_mastery(
    log: Any, *, ax: Axes | None = None, x: str | None = None,
    threshold: float | None = None,
) -> Figure:
    """% of each test set mastered per evaluation round (one line per test set).

    x: ``"step"`` (the student's reported step; default when every evaluation has one)
    or ``"episode"`` (training results recorded before the evaluation). threshold:
    recompute mastery as return > threshold; without any, the mean return is shown.
    """
    log = as_log(log)
    ev = log.evaluations.copy()
    if ev.empty:
        raise AnalysisError("no mastery to plot: the log has no evaluations")
    x = x or ("step" if ev["step"].notna().all() else "episode")
    if x not in ("step", "episode"):
        raise AnalysisError(f"x must be 'step' or 'episode', got {x!r}")
    if threshold is not None:
        ev["mastered"] = ev["return"] > threshold
    measured = ev["mastered"].notna().all()
    ev["y"] = 100.0 * ev["mastered"].astype(float) if measured else ev["return"]
    ev["test_set"] = ev["test_set"].fillna("test set")
    fig, ax = new_axes(ax, (7.0, 4.0))
    for name, group in ev.groupby("test_set", sort=False):
        curve = group.groupby(x, sort=True)["y"].mean()
        ax.plot(curve.index, curve.to_numpy(), "o-", label=f"{name} ({len(group)} evals)")
    ax.set_xlabel(x)
    ax.set_xlim(left=0)
    if measured:
        ax.set_ylabel("% of test set mastered")
        ax.set_ylim(-2, 102)
    else:
        ax.set_ylabel("mean return (no mastery threshold)")
    ax.set_title(f"{log.config.name}: mastery")
    ax.legend(fontsize=8)
    return fig
