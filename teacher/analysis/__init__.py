"""Curriculum logs you can replay and look at (needs the ``[analysis]`` extra).

Load a log (JSON lines, Parquet, or a server) into pandas tables, rebuild the teacher
exactly at any episode, run counterfactuals with other hyper-parameters, and plot: tasks
by origin or time, GMM ellipses with each Gaussian's ALP, ALP over time, mastery, and an
animated GIF; compare teachers over seeds (mastery with a confidence band, final mastery,
task distributions) in PNG, PDF or SVG. Plots are plain matplotlib Figures (Agg), never
pyplot windows.
"""

try:
    import matplotlib as _matplotlib  # noqa: F401
    import pandas as _pandas  # noqa: F401
    import pyarrow as _pyarrow  # noqa: F401
except ImportError as _exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"teacher.analysis needs pandas, matplotlib and pyarrow ({_exc.name} is missing): "
        "pip install 'curriculum-teacher[analysis]'"
    ) from _exc

from teacher.analysis._compare import (
    CompareResult,
    compare,
    final_mastery,
    mastery_curves,
    plot_compare_mastery,
    plot_task_distribution,
)
from teacher.analysis._export import animate_curriculum, save_all_plots, skipped_plots
from teacher.analysis._log import CurriculumLog, load_log
from teacher.analysis._parquet import PARQUET_SCHEMA, events_from_parquet, events_to_parquet
from teacher.analysis._plots import plot_alp, plot_gmm, plot_mastery, plot_tasks
from teacher.analysis._replay import CounterfactualResult, counterfactual, teacher_at
from teacher.analysis._runs import Run, load_runs
from teacher.analysis._server import load_server
from teacher.analysis._style import FORMATS, teacher_colors
from teacher.analysis._toy import write_toy_log
from teacher.analysis.errors import AnalysisError, EventLogWarning, LogServerError

__all__ = [
    "AnalysisError",
    "CompareResult",
    "CounterfactualResult",
    "CurriculumLog",
    "EventLogWarning",
    "FORMATS",
    "LogServerError",
    "PARQUET_SCHEMA",
    "Run",
    "animate_curriculum",
    "compare",
    "counterfactual",
    "events_from_parquet",
    "events_to_parquet",
    "final_mastery",
    "load_log",
    "load_runs",
    "load_server",
    "mastery_curves",
    "plot_alp",
    "plot_gmm",
    "plot_compare_mastery",
    "plot_mastery",
    "plot_task_distribution",
    "plot_tasks",
    "save_all_plots",
    "skipped_plots",
    "teacher_at",
    "teacher_colors",
    "write_toy_log",
]
