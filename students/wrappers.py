"""Gymnasium wrappers: a new task from a task source at every reset, and the task
appended to the observation. Light: gymnasium and numpy only (no torch, SB3 or Box2D)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from students.client import Task
from students.sources import TaskSource

__all__ = ["CurriculumWrapper", "TaskInObservation"]


class CurriculumWrapper(gym.Wrapper):
    """Pulls the next task at *every* reset and reports each finished episode.

    Stable-Baselines3 vector envs auto-reset finished episodes without reset options, so
    a task passed through ``reset(options=...)`` from outside would be lost after the
    first episode; this wrapper asks its source itself. The task is applied through the
    environment's ``options={"task": {...}}``. An episode cut short by a reset (never
    terminated or truncated) is not reported; its task stays pending on the teacher.

    source: a TaskSource, or a zero-argument factory called on first reset (so the
    source is created inside a SubprocVecEnv / AsyncVectorEnv worker;
    ``HttpTaskSource.factory(url, curriculum_id)`` makes a picklable one).

    In Gymnasium's ``SyncVectorEnv`` and ``AsyncVectorEnv`` every autoreset mode works
    (``NEXT_STEP``, the default; ``SAME_STEP``; ``DISABLED``, where you reset finished
    sub-environments yourself): each sub-environment's reset goes through this wrapper,
    so every episode gets a new task and every finished episode is reported once.
    ``info`` gains ``task``, ``task_id`` and ``task_origin`` at reset, and
    ``episode_task`` (the finished episode's task) and ``curriculum_task_id`` (its id, to
    send a late score for it, see :meth:`TeacherClient.report_scores`) at the step that
    ends an episode.

    Seeds: a task that carries a ``seed`` (a teacher such as PLR chose the level) resets
    the environment with ``reset(seed=task.seed)``; otherwise the reset's own ``seed``
    (usually None: the environment's generator runs on) is passed as before.

    Scores: a finished episode is reported with a per-episode score when ``score`` (a
    callable taking the final step's ``info`` and returning a number or None) gives one,
    or else when the environment put one in ``info["curriculum_score"]``. A score known
    only later (PPO's advantages, at the end of a rollout) is sent with
    ``report_scores`` once the result has gone out: call :meth:`flush_reports` first.
    """

    def __init__(
        self, env: gym.Env, source: TaskSource | Callable[[], TaskSource],
        score: Callable[[dict[str, Any]], float | None] | None = None,
    ):
        super().__init__(env)
        self._source_or_factory = source
        self._source: TaskSource | None = None
        self._score = score
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
        if self.task.seed is not None:
            seed = self.task.seed
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
            info = dict(info)
            score = (self._score(info) if self._score is not None
                     else info.get("curriculum_score"))
            if score is None:  # a source written before scores takes three arguments
                self.source.report(self.task, self.episode_return, self.episode_length)
            else:
                self.source.report(self.task, self.episode_return, self.episode_length,
                                   float(score))
            info["episode_task"] = self.task.params  # for trackers (task histograms)
            info["curriculum_task_id"] = self.task.task_id  # for a late score
            self.episodes_reported += 1
            self.task = None
        return obs, reward, terminated, truncated, info

    def flush_reports(self) -> None:
        """Return once every finished episode's result has reached the teacher (a late
        score for it may then be sent)."""
        if self._source is not None:
            flush = getattr(self._source, "flush", None)
            if flush is not None:
                flush()

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        super().close()


class TaskInObservation(gym.ObservationWrapper):
    """Appends the task in effect, normalised to [0, 1] per parameter, to a flat Box
    observation (CARL-style contextual RL: the policy sees which task it is on).

    bounds: parameter name -> (low, high) in canonical order. The task is read from
    ``info["task"]`` at every reset (the task protocol), so put this wrapper outside
    ``CurriculumWrapper`` or any environment following the protocol.
    """

    def __init__(self, env: gym.Env, bounds: dict[str, tuple[float, float]]):
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
            raise ValueError(
                f"TaskInObservation needs a flat Box observation space, got {space}"
            )
        self.names = tuple(bounds)
        self._low = np.array([bounds[k][0] for k in self.names], dtype=np.float64)
        self._span = np.array([bounds[k][1] - bounds[k][0] for k in self.names])
        d = len(self.names)
        self.observation_space = gym.spaces.Box(
            np.concatenate([space.low, np.zeros(d)]).astype(space.dtype),
            np.concatenate([space.high, np.ones(d)]).astype(space.dtype),
            dtype=space.dtype,  # type: ignore[arg-type]
        )
        self._task = np.full(d, 0.5)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        task = info.get("task")
        if not isinstance(task, dict) or any(k not in task for k in self.names):
            raise ValueError(
                f"TaskInObservation needs info['task'] with {list(self.names)} at reset, "
                f"got {task!r}"
            )
        values = np.array([float(task[k]) for k in self.names])
        self._task = np.clip((values - self._low) / self._span, 0.0, 1.0)
        return self.observation(obs), info

    def observation(self, observation: Any) -> Any:
        dtype = self.observation_space.dtype
        return np.concatenate([np.asarray(observation), self._task]).astype(dtype)
