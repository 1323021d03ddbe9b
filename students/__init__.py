"""Student workers: Stable-Baselines3 agents trained on tasks chosen by a teacher.

``TeacherClient`` speaks the server's HTTP contract; ``CurriculumWrapper`` pulls a task
at every reset from a task source (the HTTP server or an in-process teacher);
``TaskParamEnv`` makes any environment with attribute or constructor parameters follow
the task protocol; ``MasteryEvalCallback`` measures mastery on a fixed test set;
``run_student`` is one whole worker.

Names are imported lazily (PEP 562): ``from students.client import TeacherClient`` and
``from students.wrappers import CurriculumWrapper`` load neither torch, SB3 nor Box2D,
so the ``[client]`` extra is enough for them. Only the worker, the evaluation and the
tracking modules import SB3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module that defines it (imported on first access)
_LAZY = {
    "Task": "students.client",
    "TeacherClient": "students.client",
    "ALGOS": "students.config",
    "StudentConfig": "students.config",
    "InvalidConfigError": "students.errors",
    "StudentError": "students.errors",
    "TeacherRequestError": "students.errors",
    "TeacherUnreachableError": "students.errors",
    "MasteryEvalCallback": "students.evaluation",
    "evaluate_mastery": "students.evaluation",
    "HttpTaskSource": "students.sources",
    "LocalTaskSource": "students.sources",
    "TaskSource": "students.sources",
    "PositiveValueLossScores": "students.scores",
    "StudentSummary": "students.worker",
    "paper_sac_kwargs": "students.algos",
    "run_student": "students.worker",
    "CurriculumWrapper": "students.wrappers",
    "TaskInObservation": "students.wrappers",
    "TaskParamEnv": "students.taskenv",
}

__all__ = [
    "ALGOS",
    "CurriculumWrapper",
    "HttpTaskSource",
    "InvalidConfigError",
    "LocalTaskSource",
    "MasteryEvalCallback",
    "PositiveValueLossScores",
    "StudentConfig",
    "StudentError",
    "StudentSummary",
    "Task",
    "TaskInObservation",
    "TaskParamEnv",
    "TaskSource",
    "TeacherClient",
    "TeacherRequestError",
    "TeacherUnreachableError",
    "evaluate_mastery",
    "paper_sac_kwargs",
    "run_student",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'students' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and IDEs only
    from students.algos import paper_sac_kwargs
    from students.client import Task, TeacherClient
    from students.config import ALGOS, StudentConfig
    from students.errors import (
        InvalidConfigError,
        StudentError,
        TeacherRequestError,
        TeacherUnreachableError,
    )
    from students.evaluation import MasteryEvalCallback, evaluate_mastery
    from students.scores import PositiveValueLossScores
    from students.sources import HttpTaskSource, LocalTaskSource, TaskSource
    from students.taskenv import TaskParamEnv
    from students.worker import StudentSummary, run_student
    from students.wrappers import CurriculumWrapper, TaskInObservation
