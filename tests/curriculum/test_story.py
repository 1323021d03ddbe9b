"""The demo's account of a short run (issue #22), on a real toy-student log."""

from __future__ import annotations

import pytest

from curriculum._story import run_story
from curriculum._toy import run_toy

ta = pytest.importorskip("teacher.analysis")


def test_the_story_compares_the_first_and_last_third(tmp_path):
    path, _ = run_toy("alp-gmm", 900, 0, tmp_path, {"fit_rate": 100})
    lines = run_story(ta.load_log(path))
    assert lines[0].startswith("training return, mean over episodes:")
    assert "(first 300)" in lines[0] and "(last 300)" in lines[0]
    # the toy's teacher has left its bootstrap phase: Gaussian tasks appear
    assert lines[1].endswith("%") and not lines[1].endswith("-> 0%")
    assert any(line.startswith("learning progress (ALP)") for line in lines)
    assert [line.split(" of the tasks")[0] for line in lines[-2:]] == ["mean x0", "mean x1"]


def test_too_short_a_run_says_so(tmp_path):
    path, _ = run_toy("random", 4, 0, tmp_path, {})
    assert run_story(ta.load_log(path)) == [
        "only 4 training episodes were reported: too few to show a trend"]


def test_the_demo_picture_has_its_three_panels(tmp_path):
    from curriculum._demo import _plot

    path, _ = run_toy("alp-gmm", 600, 0, tmp_path, {"fit_rate": 100})
    png = _plot(path, tmp_path / "curriculum.png")
    assert png.stat().st_size > 20_000
    from matplotlib.figure import Figure

    fig = Figure()
    ta.plot_returns(ta.load_log(path), ax=fig.subplots())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("tasks from the Gaussians") and labels[1].startswith(
        "other tasks (uniform)")
