"""teacher.analysis plots: each call returns a Figure with the expected artists; files."""

from __future__ import annotations

import imageio.v3 as iio
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from teacher.analysis import (
    AnalysisError,
    animate_curriculum,
    counterfactual,
    load_log,
    plot_alp,
    plot_gmm,
    plot_mastery,
    plot_tasks,
    save_all_plots,
    skipped_plots,
)
from tests.teacher.conftest import run_curriculum, toy_config, write_events

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def log(toy_run):
    return load_log(toy_run.path)


@pytest.fixture(scope="module")
def random_log(tmp_path_factory):
    _, events, _ = run_curriculum(toy_config("random"), 60, eval_every=1000)
    return load_log(write_events(tmp_path_factory.mktemp("random") / "r.jsonl", events))


def ellipses(fig):
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Ellipse)]


def test_plot_tasks_one_collection_per_origin(log):
    fig = plot_tasks(log)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    groups = {o.partition(":")[0] for o in log.tasks["origin"]}
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(cols) == len(groups)
    assert sum(len(c.get_offsets()) for c in cols) == len(log.tasks)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("bootstrap (") and labels[1].startswith("random (")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x0", "x1")

    fig = plot_tasks(log, dims=("x1", "x0"), color_by="episode", episodes=(0, 100))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x0")
    assert len(ax.collections[0].get_offsets()) == (log.tasks["episode"] < 100).sum()
    assert fig.axes[1].get_ylabel() == "episode"  # the colour bar

    one_d = plot_tasks(log, dims=("x1",)).axes[0]
    assert (one_d.get_xlabel(), one_d.get_ylabel()) == ("episode", "x1")
    with pytest.raises(AnalysisError, match="unknown parameter 'z'"):
        plot_tasks(log, dims=("x0", "z"))
    with pytest.raises(AnalysisError, match="color_by must be"):
        plot_tasks(log, color_by="nope")


def test_plot_gmm_one_ellipse_per_gaussian(log):
    for fit_index in (1, -1):
        fig = plot_gmm(log, fit_index)
        k = int(log.fits.set_index("fit_index").loc[log.resolve_fit(fit_index), "k"])
        assert len(ellipses(fig)) == k
        texts = [t for t in fig.axes[0].texts]
        assert len(texts) == k
        assert fig.axes[1].get_ylabel() == "component ALP"
    fig = plot_gmm(log, dims=("x0", "alp"), show_data=False, colorbar=False)
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "alp"
    with pytest.raises(AnalysisError, match="fit_index 0 is not in the log"):
        plot_gmm(log, 0)


def test_plot_alp_and_mastery(log):
    fig = plot_alp(log)
    lines = fig.axes[0].get_lines()
    rolling = [ln for ln in lines if ln.get_label().startswith("rolling mean")]
    assert len(rolling) == 1 and len(rolling[0].get_xdata()) == len(log.results)
    fit_markers = [ln for ln in lines if ln.get_label() == "largest component ALP"]
    assert len(fit_markers[0].get_xdata()) == len(log.fits)

    fig = plot_mastery(log)
    ax = fig.axes[0]
    rounds = log.evaluations["step"].nunique()
    assert [len(ln.get_xdata()) for ln in ax.get_lines()] == [rounds]
    assert ax.get_ylabel() == "% of test set mastered"
    ys = ax.get_lines()[0].get_ydata()
    expected = log.evaluations.groupby("step")["mastered"].mean().to_numpy() * 100
    assert list(ys) == list(expected)
    assert plot_mastery(log, x="episode").axes[0].get_xlabel() == "episode"


def test_plots_draw_on_a_given_axes(log):
    fig = Figure()
    a, b = fig.subplots(1, 2)
    assert plot_tasks(log, ax=a) is fig
    assert plot_gmm(log, ax=b, colorbar=False) is fig
    assert len(ellipses(fig)) == int(log.fits["k"].iloc[-1])


def test_plots_of_a_counterfactual(log):
    cf = counterfactual(log, fit_rate=60)
    assert len(ellipses(plot_gmm(cf))) == int(cf.fits["k"].iloc[-1])
    assert isinstance(plot_tasks(cf), Figure)


def test_missing_data_is_a_clear_error(random_log):
    with pytest.raises(AnalysisError, match="no fits .*teacher 'random' does not fit"):
        plot_gmm(random_log)
    with pytest.raises(AnalysisError, match="no evaluations"):
        plot_mastery(random_log)
    with pytest.raises(AnalysisError, match="teacher 'random' computes no ALP"):
        plot_alp(random_log)
    assert set(skipped_plots(random_log)) == {"gmm.png", "gmm_fits.png", "alp.png",
                                              "mastery.png"}


def test_save_all_plots_writes_every_file(log, random_log, tmp_path):
    paths = save_all_plots(log, tmp_path / "out")
    names = [p.name for p in paths]
    assert names == ["tasks.png", "tasks_origin.png", "gmm.png", "gmm_fits.png", "alp.png",
                     "mastery.png", "curriculum.gif"]
    for p in paths[:-1]:
        assert p.read_bytes()[:8] == PNG
    few = save_all_plots(random_log, tmp_path / "few", gif=False)
    assert [p.name for p in few] == ["tasks.png", "tasks_origin.png"]


def test_animate_writes_a_gif(log, tmp_path):
    path = animate_curriculum(log, tmp_path / "c.gif", frames=6, fps=5)
    frames = iio.imread(path, index=None)
    assert path.read_bytes()[:6] == b"GIF89a"
    assert frames.shape[0] == 6 and frames.shape[-1] == 3
    assert iio.immeta(path)["duration"] == 200
    with pytest.raises(AnalysisError, match=r"frames must be an integer in \[1, 100\]"):
        animate_curriculum(log, tmp_path / "x.gif", frames=0)
