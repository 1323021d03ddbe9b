"""Single-run plots: ALP labels at their real magnitude that never overlap, tasks coloured
by how they were drawn (never by a reused component index), formats and dpi."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.text import Text

from teacher import FitEvent
from teacher.analysis import CurriculumLog, load_log, plot_gmm, plot_tasks, save_all_plots


@pytest.fixture(scope="module")
def crowded(toy_run):
    """The toy run cut at a fit with k >= 3, whose first three components share one
    mean and whose first ALP is 1.46e-25."""
    events = list(toy_run.events)
    fits = [i for i, e in enumerate(events) if isinstance(e, FitEvent)]
    last = max(fits, key=lambda i: (events[i].fit.k, i))  # the latest of the largest k
    fit = events[last].fit
    means = fit.means.copy()
    means[1:3, :2] = means[0, :2]
    scores = fit.scores.copy()
    scores[0] = 1.46e-25
    events[last] = dataclasses.replace(
        events[last], fit=dataclasses.replace(fit, means=means, scores=scores))
    return CurriculumLog.from_events(events[:last + 1])


def _boxes(fig, texts):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # the positions as saved
    renderer = canvas.get_renderer()
    return [Text.get_window_extent(t, renderer) for t in texts]  # the text, not its leader


def test_gmm_labels_show_the_real_alp_and_never_overlap(crowded):
    fig = plot_gmm(crowded, -1)
    ax = fig.axes[0]
    k = int(crowded.fits["k"].iloc[-1])
    assert k >= 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("0: 1.46e-25")  # not "1.46", not "0"
    alps = crowded.fit_components.query(f"fit_index == {crowded.fits['fit_index'].iloc[-1]}")
    assert len(legend) == k == len(alps)
    labels = ax.texts
    assert sorted(t.get_text() for t in labels) == [str(i) for i in range(k)]
    boxes = _boxes(fig, labels + legend_texts(ax))
    frame = fig.bbox
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    for b in boxes:  # nothing is cut at the figure's edge
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1


def legend_texts(ax):
    return list(ax.get_legend().get_texts())


def test_tasks_are_coloured_by_kind_of_origin_not_component_index(toy_run):
    log = load_log(toy_run.path)
    assert log.tasks["component"].nunique() > 1  # several Gaussians issued tasks
    ax = plot_tasks(log).axes[0]
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    labels = [t.get_text().split(" (")[0] for t in ax.get_legend().get_texts()]
    assert labels == ["bootstrap", "random", "gaussian"]
    assert len(cols) == 3
    gaussian = cols[2]
    assert len(gaussian.get_offsets()) == log.tasks["origin"].str.startswith("gaussian").sum()
    assert len(np.unique(gaussian.get_facecolor(), axis=0)) == 1


def test_save_all_plots_in_each_format_and_dpi(toy_run, tmp_path):
    log = load_log(toy_run.path)
    paths = save_all_plots(log, tmp_path / "o", gif=False, formats="svg,pdf", dpi=60)
    assert [p.name for p in paths[:4]] == ["tasks.svg", "tasks.pdf", "tasks_origin.svg",
                                           "tasks_origin.pdf"]
    assert {p.suffix for p in paths} == {".svg", ".pdf"} and len(paths) == 12
    png = save_all_plots(log, tmp_path / "s", gif=False, dpi=40)[0]
    assert png.name == "tasks.png"
    assert int.from_bytes(png.read_bytes()[16:20], "big") == round(7.2 * 40)  # 7.2 in wide
