"""Drawing helpers shared by the plots and the animation (no pyplot: plain Figures)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import Colormap, Normalize, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from teacher.analysis._log import CurriculumLog
from teacher.analysis.errors import AnalysisError

_FIXED_COLORS = {
    "bootstrap": "#b0b0b0", "random": "#505050", "earlier": "#c4c4c4", "oracle": "tab:blue",
    "region": "tab:green", "mutation": "tab:red",
}
# Component colours: tab10 then its light tab20 shades, without the greys that mark
# bootstrap and random tasks.
_COMPONENT_COLORS = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)] + [
    f"tab20:{i}" for i in (1, 3, 5, 7, 9, 11, 13, 17, 19)
]


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


def origin_label(origin: str, many_components: bool) -> str:
    kind, _, index = origin.partition(":")
    if kind == "gaussian" and index and not many_components:
        return f"gaussian {index}"
    return kind


def origin_color(label: str) -> str:
    if label in _FIXED_COLORS:
        return _FIXED_COLORS[label]
    kind, _, index = label.partition(" ")
    if not index.isdigit():
        return "tab:purple"
    color = _COMPONENT_COLORS[int(index) % len(_COMPONENT_COLORS)]
    if color.startswith("tab20:"):
        return to_hex(colormaps["tab20"](int(color.split(":")[1])))
    return color


def _label_order(label: str) -> tuple[int, int, str]:
    kind, _, index = label.partition(" ")
    rank = {"bootstrap": 0, "random": 1}.get(kind, 2)
    return rank, int(index) if index.isdigit() else -1, label


def draw_tasks(
    ax: Axes, log: CurriculumLog, tasks: pd.DataFrame, dims: tuple[str, ...], *,
    size: float, alpha: float = 0.8, labels: bool = True,
) -> list[PathCollection]:
    """Scatter ``tasks`` coloured by origin; one collection per origin label, in the
    order bootstrap, random, gaussian 0, 1, ... In 1-D the x axis is the episode."""
    many = tasks["component"].dropna().nunique() > 10
    origins = tasks["origin"].map(lambda o: origin_label(o, many))
    out = []
    for label in sorted(origins.unique(), key=_label_order):
        sub = tasks[origins == label]
        x = sub["episode"] if len(dims) == 1 else sub[column_of(log, dims[0])]
        y = sub[column_of(log, dims[-1])]
        out.append(ax.scatter(x, y, s=size, alpha=alpha, color=origin_color(label),
                              edgecolors="none", label=f"{label} ({len(sub)})" if labels else None))
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
    coordinates), filled with its ALP's colour and annotated with the ALP."""
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
            ax.annotate(f"{alp:.3g}", mean, xytext=(3, 3), textcoords="offset points",
                        ha="left", va="bottom", fontsize=8, annotation_clip=True,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.75})
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
