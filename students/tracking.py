"""TensorBoard (and optionally Weights & Biases) tracking of a worker.

SB3 writes its own scalars (``rollout/``, ``train/``, ``time/``) to the TensorBoard
event files of ``run_dir/tensorboard``; :class:`CurriculumTracker` adds the curriculum's
under ``curriculum/`` (episodes reported, the teacher's fit count and phase: 0 while
bootstrapping, 1 once a mixture is fitted, pending tasks, the latest mastery %) and a
histogram per task parameter of the tasks the finished episodes ran on (``tasks/<name>``).
``eval/mastery_pct`` and ``eval/mean_return`` come from ``MasteryEvalCallback``.
With ``--wandb-project`` the same event files are synced to W&B (``sync_tensorboard``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import TensorBoardOutputFormat

from students.errors import InvalidConfigError

__all__ = ["CurriculumTracker", "start_wandb"]


class CurriculumTracker(BaseCallback):
    """Records the curriculum's scalars and task histograms at most every
    ``every_seconds`` (at rollout ends) and at the end of training.

    status: the curriculum's description (the server's GET answer or an equivalent).
    names: the task parameters, in canonical order.
    """

    def __init__(
        self, status: Callable[[], dict[str, Any]], names: Sequence[str],
        every_seconds: float = 5.0,
    ):
        super().__init__()
        self.status, self.names, self.every_seconds = status, tuple(names), every_seconds
        self._tasks: list[list[float]] = []
        self._last = -float("inf")
        self.records = 0

    def _writer(self) -> Any:
        for fmt in self.logger.output_formats:
            if isinstance(fmt, TensorBoardOutputFormat):
                return fmt.writer
        return None

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", ()):
            task = info.get("episode_task")
            if task is not None:
                self._tasks.append([float(task[k]) for k in self.names])
        return True

    def _on_rollout_end(self) -> None:
        if time.monotonic() - self._last >= self.every_seconds:
            self.record()

    def _on_training_end(self) -> None:
        self.record()
        self.logger.dump(self.num_timesteps)

    def record(self) -> None:
        self._last = time.monotonic()
        try:
            info = self.status()
        except Exception:  # noqa: BLE001 - tracking must never stop training
            info = {}
        counts = info.get("counts", {})
        if counts:
            self.logger.record("curriculum/episodes", int(counts.get("results", 0)))
            self.logger.record("curriculum/fits", int(counts.get("fits", 0)))
            self.logger.record("curriculum/phase", 1 if counts.get("fits", 0) else 0)
            if "pending" in counts:
                self.logger.record("curriculum/pending_tasks", int(counts["pending"]))
        mastery = info.get("latest_mastery_pct")
        if mastery is not None:
            self.logger.record("curriculum/mastery_pct", float(mastery))
        writer = self._writer()
        if writer is not None and self._tasks:
            arr = np.asarray(self._tasks)
            for i, name in enumerate(self.names):
                writer.add_histogram(f"tasks/{name}", arr[:, i], self.num_timesteps)
            writer.flush()
            self._tasks = []
        self.records += 1


def start_wandb(project: str, run_dir: Path, name: str | None, config: dict[str, Any]) -> Any:
    """Start a W&B run that syncs the TensorBoard files (call before the model is made).
    ``WANDB_MODE=offline`` keeps it on disk under ``run_dir/wandb``."""
    try:
        import wandb
    except ImportError:
        raise InvalidConfigError(
            "--wandb-project needs wandb: pip install 'curriculum-teacher[wandb]'"
        ) from None
    return wandb.init(project=project, dir=str(run_dir), name=name, config=config,
                      sync_tensorboard=True, reinit=True)
