"""Drawing helpers shared by the plots and the animation (no pyplot: plain Figures)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Patch
from matplotlib.text import Text

from teacher.analysis._log import CurriculumLog
from teacher.analysis._style import format_value
from teacher.analysis.errors import AnalysisError

# Tasks are coloured by how they were drawn, never by a component index: indices are
# reused by every fit, so over a run the same colour would mean unrelated Gaussians.
# Okabe & Ito colours (colour-blind safe); greys for the uniform draws.
_ORIGIN_COLORS = {
    "bootstrap": "#b0b0b0", "random": "#505050", "earlier": "#d0d0d0", "gaussian": "#0072b2",
    "region": "#009e73", "mutation": "#d55e00", "oracle": "#cc79a7",
    "box": "#56b4e9", "boundary": "#e69f00",  # ADR
}
_ORIGIN_ORDER = ("bootstrap", "random", "gaussian", "region", "mutation", "oracle", "box",
                 "boundary")


def as_log(obj: Any) -> CurriculumLog:
    """A CurriculumLog, or the ``log`` of a CounterfactualResult."""
    if isinstance(obj, CurriculumLog):
        return obj
    inner = getattr(obj, "log", None)
    if isinstance(inner, CurriculumLog):
        return inner
    raise AnalysisError(
        f"expected a CurriculumLog or CounterfactualResult, got {type(obj).__name__}"
    )


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 5.0)) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: ``ax``'s, or a new Figure (not managed by pyplot,
    so it is garbage-collected like any object and never opens a window)."""
    if ax is not None:
        fig = ax.get_figure(root=True)
        if not isinstance(fig, Figure):
            raise AnalysisError("ax must belong to a matplotlib Figure")
        return fig, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def param_dims(log: CurriculumLog, dims: tuple[str, ...] | None) -> tuple[str, ...]:
    """One or two parameter names (default: the first two)."""
    names = log.param_names
    if dims is None:
        return tuple(names[:2])
    dims = tuple(dims)
    if len(dims) not in (1, 2):
        raise AnalysisError(f"dims must name one or two parameters, got {dims!r}")
    for d in dims:
        if d not in names:
            raise AnalysisError(f"unknown parameter {d!r} in dims; expected one of {list(names)}")
    return dims


def fit_dims(log: CurriculumLog, dims: tuple[str, ...] | None) -> tuple[str, str]:
    """Two fitted coordinates (parameters or extras such as ``alp``); default: the first
    two parameters, or the parameter and the first extra coordinate in 1-D."""
    coords = log.coordinate_names
    if dims is None:
        dims = tuple(coords[:2])
    if len(dims) != 2:
        raise AnalysisError(f"dims must name two coordinates of the fit, got {dims!r}")
    for d in dims:
        log.coordinate_index(d)  # raises naming the valid ones
    return dims[0], dims[1]


def column_of(log: CurriculumLog, name: str) -> str:
    """Table column of a parameter name."""
    return log.param_columns[log.param_names.index(name)]


def origin_kind(origin: str) -> str:
    """``gaussian:3`` -> ``gaussian``: the way a task was drawn."""
    return origin.partition(":")[0]


def origin_color(kind: str) -> str:
    return _ORIGIN_COLORS.get(kind, "#e69f00")


def _kind_order(kind: str) -> tuple[int, str]:
    return (_ORIGIN_ORDER.index(kind) if kind in _ORIGIN_ORDER else len(_ORIGIN_ORDER), kind)


def draw_tasks(
    ax: Axes, log: CurriculumLog, tasks: pd.DataFrame, dims: tuple[str, ...], *,
    size: float, alpha: float = 0.8, labels: bool = True,
) -> list[PathCollection]:
    """Scatter ``tasks`` coloured by origin kind; one collection per kind, in the order
    bootstrap, random, gaussian, region, mutation, oracle, box, boundary. In 1-D the x axis is the
    episode."""
    kinds = tasks["origin"].map(origin_kind)
    out = []
    for kind in sorted(kinds.unique(), key=_kind_order):
        sub = tasks[kinds == kind]
        x = sub["episode"] if len(dims) == 1 else sub[column_of(log, dims[0])]
        y = sub[column_of(log, dims[-1])]
        out.append(ax.scatter(x, y, s=size, alpha=alpha, color=origin_color(kind),
                              edgecolors="none", label=f"{kind} ({len(sub)})" if labels else None))
    return out


def set_limits(ax: Axes, log: CurriculumLog, dims: tuple[str, ...], *, episode_x: bool) -> None:
    """Axes limits from the space's bounds for parameter dimensions."""
    space = log.space
    targets = ["y"] if episode_x else ["x", "y"]
    for axis, name in zip(targets, dims if not episode_x else dims[-1:], strict=True):
        if name not in space.names:
            continue
        i = space.names.index(name)
        lo, hi = float(space.low[i]), float(space.high[i])
        pad = 0.02 * (hi - lo)
        (ax.set_xlim if axis == "x" else ax.set_ylim)(lo - pad, hi + pad)
    ax.set_xlabel("episode" if episode_x else dims[0])
    ax.set_ylabel(dims[-1])


def draw_gmm(
    ax: Axes, log: CurriculumLog, fit_index: int, dims: tuple[str, str], *,
    cmap: Colormap, norm: Normalize, n_std: float = 2.0, annotate: bool = True,
) -> list[Ellipse]:
    """One ellipse per Gaussian (``n_std`` standard deviations of the chosen two
    coordinates), filled with its ALP's colour and, with ``annotate``, labelled with its
    component index (:func:`place_labels` then moves the labels apart; the ALP values go
    in a legend, see :func:`gmm_legend`)."""
    idx = log.resolve_fit(fit_index)
    comps = log.fit_components[log.fit_components["fit_index"] == idx]
    cov = log.covariance(idx, dims=dims)
    out = []
    for row, c in zip(comps.itertuples(index=False), cov, strict=True):
        mean = (getattr(row, f"mean_{dims[0]}"), getattr(row, f"mean_{dims[1]}"))
        alp = float(row.alp)
        width, height, angle = ellipse_shape(c, n_std)
        color = cmap(norm(alp))
        e = Ellipse(mean, width, height, angle=angle, facecolor=color, alpha=0.45,
                    edgecolor=color, linewidth=1.5)
        ax.add_patch(e)
        ax.plot(*mean, "+", color="black", ms=6, mew=1)  # visible even when the ellipse is thin
        out.append(e)
        if annotate:
            ann = ax.annotate(str(row.component), mean, xytext=(3, 3),
                              textcoords="offset points", fontsize=8, ha="center",
                              va="center", annotation_clip=False,
                              bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.8,
                                    "lw": 0.5},
                              arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.3",
                                          "shrinkA": 0, "shrinkB": 0})
            ann.set_in_layout(False)
    return out


def ellipse_shape(cov: np.ndarray, n_std: float) -> tuple[float, float, float]:
    """(width, height, angle in degrees) of the ``n_std`` ellipse of a 2x2 covariance."""
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals[::-1], 0.0)
    major = vecs[:, 1]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    return 2 * n_std * float(np.sqrt(vals[0])), 2 * n_std * float(np.sqrt(vals[1])), angle


def alp_norm(log: CurriculumLog, fit_index: int | None = None) -> Normalize:
    """Colour scale of component ALPs: 0 .. the largest (of one fit, or of all fits)."""
    comps = log.fit_components
    if fit_index is not None:
        comps = comps[comps["fit_index"] == log.resolve_fit(fit_index)]
    top = float(comps["alp"].max()) if len(comps) else 0.0
    return Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)


def interest_label(log: CurriculumLog) -> str:
    """What a component's ``alp`` column measures for this log's teacher."""
    if log.config.teacher == "covar-gmm":
        return "component competence trend"
    return "component ALP"


def gmm_legend(ax: Axes, log: CurriculumLog, fit_index: int, *, cmap: Colormap,
               norm: Normalize) -> None:
    """A table beside the axes: each component's index, ALP at its real magnitude (a
    near-zero ALP prints as ``1.46e-25``, not ``1.46``) and weight."""
    idx = log.resolve_fit(fit_index)
    comps = log.fit_components[log.fit_components["fit_index"] == idx]
    handles = [Patch(facecolor=cmap(norm(float(r.alp))), alpha=0.6,
                     label=f"{r.component}: {format_value(float(r.alp))}  (w {r.weight:.2f})")
               for r in comps.itertuples(index=False)]
    ax.legend(handles=handles, title=f"{interest_label(log)} (weight)", fontsize=7,
              title_fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
              frameon=False)


# Offsets (points) tried in turn for a label, nearest first.
_RINGS = [(r * np.cos(a), r * np.sin(a)) for r in (0, 9, 16, 24, 34, 46, 60)
          for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]


def place_labels(fig: Figure, texts: list[Any]) -> None:
    """Move annotation labels so that no two overlap (greedy: each takes the nearest
    free offset around its anchor). The figure's layout is computed first, once, so the
    positions hold when it is saved; call it after everything else is drawn."""
    if not texts:
        return
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # type: ignore[attr-defined]
    placed: list[Any] = []
    for t in texts:
        for dx, dy in _RINGS:
            t.xyann = (dx, dy)
            box = label_extent(t, renderer).expanded(1.1, 1.1)
            if not any(box.overlaps(b) for b in placed):
                break
        placed.append(label_extent(t, renderer).expanded(1.1, 1.1))


def label_extent(t: Any, renderer: Any) -> Any:
    """The display box of a label's text, without the line to its anchor."""
    return Text.get_window_extent(t, renderer)
