"""A gymnasium wrapper that takes a new task from a task source at every reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from students.client import Task
from students.sources import TaskSource

__all__ = ["CurriculumWrapper"]


class CurriculumWrapper(gym.Wrapper):
    """Pulls the next task at *every* reset and reports each finished episode.

    Stable-Baselines3 vector envs auto-reset finished episodes without reset options, so
    a task passed through ``reset(options=...)`` from outside would be lost after the
    first episode; this wrapper asks its source itself. The task is applied through the
    environment's ``options={"task": {...}}``. An episode cut short by a reset (never
    terminated or truncated) is not reported; its task stays pending on the teacher.

    source: a TaskSource, or a zero-argument factory called on first reset (so the
    source is created inside a SubprocVecEnv worker).
    ``info`` gains ``task``, ``task_id`` and ``task_origin`` at reset.
    """

    def __init__(self, env: gym.Env, source: TaskSource | Callable[[], TaskSource]):
        super().__init__(env)
        self._source_or_factory = source
        self._source: TaskSource | None = None
        self.task: Task | None = None
        self.episode_return = 0.0
        self.episode_length = 0
        self.episodes_reported = 0

    @property
    def source(self) -> TaskSource:
        if self._source is None:
            s = self._source_or_factory
            self._source = s() if callable(s) and not hasattr(s, "next_task") else s  # type: ignore[assignment]
        assert self._source is not None
        return self._source

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self.task = self.source.next_task()
        opts = dict(options or {})
        opts["task"] = self.task.params
        obs, info = self.env.reset(seed=seed, options=opts)
        self.episode_return, self.episode_length = 0.0, 0
        info = dict(info)
        info.update(task_id=self.task.task_id, task_origin=self.task.origin)
        info.setdefault("task", self.task.params)
        return obs, info

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.episode_return += float(reward)
        self.episode_length += 1
        if (terminated or truncated) and self.task is not None:
            self.source.report(self.task, self.episode_return, self.episode_length)
            self.episodes_reported += 1
            self.task = None
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        super().close()
