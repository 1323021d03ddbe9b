"""Student workers: Stable-Baselines3 agents trained on tasks chosen by a teacher.

``TeacherClient`` speaks the server's HTTP contract; ``CurriculumWrapper`` pulls a task
at every reset from a task source (the HTTP server or an in-process teacher);
``MasteryEvalCallback`` measures mastery on a fixed test set; ``run_student`` is one
whole worker.
"""

from students.client import Task, TeacherClient
from students.config import ALGOS, StudentConfig
from students.errors import (
    InvalidConfigError,
    StudentError,
    TeacherRequestError,
    TeacherUnreachableError,
)
from students.evaluation import MasteryEvalCallback, evaluate_mastery
from students.sources import HttpTaskSource, LocalTaskSource, TaskSource
from students.worker import StudentSummary, paper_sac_kwargs, run_student
from students.wrappers import CurriculumWrapper

__all__ = [
    "ALGOS",
    "CurriculumWrapper",
    "HttpTaskSource",
    "InvalidConfigError",
    "LocalTaskSource",
    "MasteryEvalCallback",
    "StudentConfig",
    "StudentError",
    "StudentSummary",
    "Task",
    "TaskSource",
    "TeacherClient",
    "TeacherRequestError",
    "TeacherUnreachableError",
    "evaluate_mastery",
    "paper_sac_kwargs",
    "run_student",
]
