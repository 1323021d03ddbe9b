"""Our teachers as a Syllabus curriculum (``pip install 'curriculum-teacher[syllabus]'``).

Syllabus (https://github.com/RyanNavillus/Syllabus) synchronises a curriculum living in
the training process with environments in worker processes: ``GymnasiumSyncWrapper``
around each environment asks its queue for the next task at reset and sends every
finished episode back. :class:`TeacherCurriculum` implements Syllabus's ``Curriculum``
interface (``sample``, ``update_on_episode``) over

- an in-process teacher (``TeacherCurriculum.from_teacher(make_teacher(...))``), or
- a curriculum on our server (``TeacherCurriculum.from_server(client, curriculum_id)``):
  tasks are issued by the server and every episode is reported with its task id, so the
  server's log, replay and analysis work as for our own workers.

Tasks travel as float64 arrays in the space's canonical order (a Syllabus
``BoxTaskSpace``). :class:`SyllabusTaskEnv` is the environment side: it turns Syllabus's
``reset(new_task=array)`` into our task protocol's ``reset(options={"task": {...}})``, so
any environment following the protocol (ours, or one wrapped in ``TaskParamEnv``) works.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from syllabus.core import Curriculum as _SyllabusCurriculum
from syllabus.core import TaskWrapper
from syllabus.task_space import BoxTaskSpace

from students.client import TeacherClient

__all__ = ["TeacherCurriculum", "SyllabusTaskEnv", "box_task_space"]


def box_task_space(bounds: Mapping[str, Sequence[float]]) -> BoxTaskSpace:
    """A Syllabus task space for our box (float64, canonical order)."""
    low = np.array([float(b[0]) for b in bounds.values()])
    high = np.array([float(b[1]) for b in bounds.values()])
    return BoxTaskSpace(gym.spaces.Box(low, high, dtype=np.float64))


class _TeacherBackend:
    def __init__(self, teacher: Any):
        self.teacher = teacher

    def sample(self, k: int) -> list[np.ndarray]:
        return [np.asarray(self.teacher.sample_task(), dtype=np.float64) for _ in range(k)]

    def update(self, task: np.ndarray, ret: float, length: int) -> None:
        self.teacher.update(task, ret)


class _ServerBackend:
    def __init__(self, client: TeacherClient, curriculum_id: str, names: Sequence[str],
                 worker: str | None):
        self.client, self.curriculum_id = client, curriculum_id
        self.names, self.worker = tuple(names), worker
        self.pending: dict[tuple[float, ...], deque[str]] = defaultdict(deque)

    def sample(self, k: int) -> list[np.ndarray]:
        out = []
        for t in self.client.get_tasks(self.curriculum_id, k):
            arr = np.array([float(t.params[n]) for n in self.names])
            self.pending[tuple(arr.tolist())].append(t.task_id)
            out.append(arr)
        return out

    def update(self, task: np.ndarray, ret: float, length: int) -> None:
        key = tuple(np.asarray(task, dtype=np.float64).tolist())
        ids = self.pending.get(key)
        if not ids:
            raise ValueError(
                f"task {list(key)} was not issued by curriculum {self.curriculum_id} through "
                f"this TeacherCurriculum (or was already reported)"
            )
        task_id = ids.popleft()
        if not ids:
            del self.pending[key]
        item: dict[str, Any] = {"task_id": task_id, "return": float(ret), "length": int(length)}
        if self.worker:
            item["worker"] = self.worker
        self.client.report_results(self.curriculum_id, [item])


class TeacherCurriculum(_SyllabusCurriculum):
    """A Syllabus curriculum whose tasks come from one of our teachers.

    Use :meth:`from_teacher` or :meth:`from_server`. ``sample(k)`` returns k tasks
    (arrays (d,)); ``update_on_episode`` feeds each finished episode's return back.
    Only episode updates are used (``requires_step_updates`` is False).
    """

    def __init__(self, backend: Any, bounds: Mapping[str, Sequence[float]], **kwargs: Any):
        self.names = tuple(bounds)
        super().__init__(box_task_space(bounds), **kwargs)
        self._backend = backend
        self.episodes = 0

    @classmethod
    def from_teacher(cls, teacher: Any, **kwargs: Any) -> TeacherCurriculum:
        """Over an in-process ``teacher.Teacher`` (e.g. ``make_teacher("alp-gmm", space)``)."""
        sp = teacher.space
        bounds = {n: (float(lo), float(hi)) for n, lo, hi in zip(sp.names, sp.low, sp.high,
                                                                 strict=True)}
        return cls(_TeacherBackend(teacher), bounds, **kwargs)

    @classmethod
    def from_server(cls, client: TeacherClient, curriculum_id: str, *,
                    worker: str | None = "syllabus", **kwargs: Any) -> TeacherCurriculum:
        """Over a curriculum of our teacher server (created beforehand)."""
        space = client.get_curriculum(curriculum_id)["config"]["space"]
        return cls(_ServerBackend(client, curriculum_id, list(space), worker), space, **kwargs)

    @property
    def requires_step_updates(self) -> bool:
        return False

    def sample(self, k: int = 1) -> list[np.ndarray]:
        return self._backend.sample(k)

    def update_on_episode(self, episode_return: float, length: int, task: Any,
                          progress: float | bool, env_id: int | None = None) -> None:
        super().update_on_episode(episode_return, length, task, progress, env_id=env_id)
        self._backend.update(np.asarray(task, dtype=np.float64), float(episode_return),
                             int(length))
        self.episodes += 1


class SyllabusTaskEnv(TaskWrapper):
    """Syllabus's task interface over an environment following our task protocol.

    names: the task parameters in canonical order (the array's order).
    """

    def __init__(self, env: gym.Env, bounds: Mapping[str, Sequence[float]]):
        super().__init__(env)
        self.names = tuple(bounds)
        self.task_space = box_task_space(bounds)

    def reset(self, new_task: Any = None, **kwargs: Any):  # type: ignore[override]
        if new_task is not None:
            self.change_task(np.asarray(new_task, dtype=np.float64))
        options = dict(kwargs.pop("options", None) or {})
        if self.task is not None:
            options["task"] = {n: float(v) for n, v in zip(self.names, self.task, strict=True)}
        obs, info = self.env.reset(options=options, **kwargs)
        info["task_completion"] = 0.0
        info["task"] = self.task
        return obs, info

    def step(self, action: Any):
        obs, rew, term, trunc, info = self.env.step(action)
        info["task_completion"] = 1.0 if term or trunc else 0.0
        info["task"] = self.task
        return obs, rew, term, trunc, info
