"""teacher.analysis.compare and ``curriculum compare``: teachers over seeds."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from matplotlib.colors import to_hex
from typer.testing import CliRunner

from curriculum.cli import app
from teacher import Curriculum, CurriculumConfig, EventLogError, JsonlWriter, TaskSpace
from teacher.analysis import (
    AnalysisError,
    compare,
    final_mastery,
    load_runs,
    mastery_curves,
    plot_compare_mastery,
    plot_task_distribution,
    teacher_colors,
    write_toy_log,
)

TEACHERS = ("random", "alp-gmm", "riac")


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    for teacher in TEACHERS:
        (root / teacher).mkdir()
        for seed in (0, 1):
            write_toy_log(root / teacher / f"seed{seed}.jsonl", episodes=300, eval_every=100,
                          seed=seed, teacher=teacher)
    return root


def test_curves_are_the_mean_over_seeds_with_a_band(logs):
    runs = load_runs([logs])
    assert sorted({r.label for r in runs}) == sorted(TEACHERS) and len(runs) == 6
    curves = mastery_curves(runs)
    assert curves.attrs["x"] == "episode"  # toy logs: steps are episode counts
    for teacher in TEACHERS:
        mine = [r.mastery.set_index("episode")["pct"] for r in runs if r.label == teacher]
        c = curves[curves["group"] == teacher].set_index("x")
        assert list(c.index) == [100, 200, 300]
        assert np.allclose(c["mean"], np.mean([m.loc[c.index] for m in mine], axis=0))
        assert (c["n"] == 2).all()
        assert (c["low"] <= c["mean"]).all() and (c["mean"] <= c["high"]).all()
    table = final_mastery(runs).set_index("group")
    for teacher in TEACHERS:
        last = [r.mastery["pct"].iloc[-1] for r in runs if r.label == teacher]
        assert table.loc[teacher, "n"] == 2
        assert table.loc[teacher, "mean"] == pytest.approx(np.mean(last))
        assert table.loc[teacher, "sd"] == pytest.approx(np.std(last, ddof=1))


def test_unequal_evaluation_points_are_interpolated_within_each_run(tmp_path):
    a = write_toy_log(tmp_path / "a.jsonl", episodes=200, eval_every=100, seed=0)
    b = write_toy_log(tmp_path / "b.jsonl", episodes=300, eval_every=150, seed=1)
    runs = load_runs([a, b])
    c = mastery_curves(runs).set_index("x")
    assert list(c.index) == [100, 150, 200, 300]
    assert list(c["n"]) == [1, 2, 2, 1]  # each run counts only inside its own range
    assert np.isnan(c.loc[100, "low"]) and not np.isnan(c.loc[150, "low"])
    ra, rb = (r.mastery.set_index("episode")["pct"] for r in runs)
    expected = (np.interp(150, [100, 200], [ra[100], ra[200]]) + rb[150]) / 2
    assert c.loc[150, "mean"] == pytest.approx(expected)


def test_each_teacher_keeps_its_colour_across_figures(logs):
    runs = load_runs([logs])
    colors = teacher_colors(r.label for r in runs)
    assert len(set(colors.values())) == len(colors)
    # a paper teacher's colour does not depend on what it is compared with
    assert teacher_colors(["alp-gmm"])["alp-gmm"] == colors["alp-gmm"]
    lines = {ln.get_label().split(" (")[0]: to_hex(ln.get_color())
             for ln in plot_compare_mastery(runs).axes[0].get_lines()}
    titles = {ax.get_title().split(" (")[0]: to_hex(ax.title.get_color())
              for ax in plot_task_distribution(runs).axes if ax.get_title()}
    assert lines == titles == colors


def _png_width(path):
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


def test_compare_writes_every_format_and_honours_dpi(logs, tmp_path):
    res = compare([logs], tmp_path / "o", formats="png,pdf,svg", dpi=50)
    names = sorted(p.name for p in res.files)
    assert names == ["final_mastery.csv", "final_mastery.md", "mastery.pdf", "mastery.png",
                     "mastery.svg", "tasks.pdf", "tasks.png", "tasks.svg"]
    assert (tmp_path / "o" / "mastery.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (tmp_path / "o" / "tasks.svg").read_bytes()[:2000]
    compare([logs], tmp_path / "p", formats=["png"], dpi=100)
    assert _png_width(tmp_path / "p" / "mastery.png") == 2 * _png_width(
        tmp_path / "o" / "mastery.png")
    md = (tmp_path / "o" / "final_mastery.md").read_text()
    assert "| riac |" in md and "± " in md and "| 2 |" in md


def test_label_rules_group_runs(logs):
    runs = load_runs([logs / "riac", logs / "random"], label="{teacher}/{file}")
    assert sorted(r.label for r in runs) == ["random/seed0", "random/seed1", "riac/seed0",
                                             "riac/seed1"]
    with pytest.raises(AnalysisError, match=r"among \[.*'teacher'.*\] \(unknown: \['colour'\]\)"):
        load_runs([logs], label="{colour}")
    with pytest.raises(AnalysisError, match="names no field"):
        load_runs([logs], label="all")


def test_bad_inputs_are_named(logs, tmp_path):
    with pytest.raises(AnalysisError, match="no such log file or run directory"):
        load_runs([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisError, match="holds no event logs"):
        load_runs([tmp_path / "empty"])
    with pytest.raises(AnalysisError, match=r"formats must be among png, pdf, svg, got 'gif'"):
        compare([logs], tmp_path / "x", formats="gif")
    with pytest.raises(AnalysisError, match=r"dpi must be an integer in \[10, 2400\], got 0"):
        compare([logs], tmp_path / "x", dpi=0)
    assert not (tmp_path / "x").exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text((logs / "riac" / "seed0.jsonl").read_text()[:-30])
    with pytest.raises(EventLogError, match=r"bad\.jsonl: line \d+"):
        load_runs([bad])
    cur = Curriculum(CurriculumConfig(
        name="ab", teacher="random", space=TaskSpace({"a": (0.0, 1.0), "b": (0.0, 1.0)}),
        teacher_params={}, seed=0, reward_bounds=None, mastery_threshold=None))
    with JsonlWriter(tmp_path / "ab.jsonl") as w:
        w.write_many([cur.created_event(), *cur.issue_tasks(3)])
    with pytest.raises(AnalysisError, match=r"task space \(a, b\) differs"):
        load_runs([logs / "riac" / "seed0.jsonl", tmp_path / "ab.jsonl"])


def test_cli_compare(logs, tmp_path):
    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["compare", str(logs), "--out", str(out), "--format",
                                 "png,svg", "--dpi", "40"])
    assert r.exit_code == 0, r.output
    assert "6 runs in 3 groups: alp-gmm (2), random (2), riac (2)" in r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "final_mastery.csv", "final_mastery.md", "mastery.png", "mastery.svg", "tasks.png",
        "tasks.svg"]
    r = CliRunner().invoke(app, ["compare", str(logs), "--out", str(out), "--format", "tiff"])
    assert r.exit_code == 2 and "formats must be among png, pdf, svg, got 'tiff'" in r.output
