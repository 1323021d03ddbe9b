"""Curriculum logs you can replay and look at (needs the ``[analysis]`` extra).

Load a log (JSON lines, Parquet, or a server) into pandas tables, rebuild the teacher
exactly at any episode, run counterfactuals with other hyper-parameters, and plot: tasks
by origin, GMM ellipses with each Gaussian's ALP, ALP over time, mastery, and an animated
GIF. Plots are plain matplotlib Figures (Agg), never pyplot windows.
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

from teacher.analysis._export import animate_curriculum, save_all_plots, skipped_plots
from teacher.analysis._log import CurriculumLog, load_log
from teacher.analysis._parquet import PARQUET_SCHEMA, events_from_parquet, events_to_parquet
from teacher.analysis._plots import plot_alp, plot_gmm, plot_mastery, plot_tasks
from teacher.analysis._replay import CounterfactualResult, counterfactual, teacher_at
from teacher.analysis._server import load_server
from teacher.analysis._toy import write_toy_log
from teacher.analysis.errors import AnalysisError, EventLogWarning, LogServerError

__all__ = [
    "AnalysisError",
    "CounterfactualResult",
    "CurriculumLog",
    "EventLogWarning",
    "LogServerError",
    "PARQUET_SCHEMA",
    "animate_curriculum",
    "counterfactual",
    "events_from_parquet",
    "events_to_parquet",
    "load_log",
    "load_server",
    "plot_alp",
    "plot_gmm",
    "plot_mastery",
    "plot_tasks",
    "save_all_plots",
    "skipped_plots",
    "teacher_at",
    "write_toy_log",
]
