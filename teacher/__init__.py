"""Curriculum teachers: ALP-GMM and the baselines it is compared with.

Pure numpy / scipy / scikit-learn. ``teacher.analysis`` (optional extra) adds pandas and
matplotlib tooling on top of the event logs.

Names are imported on first use (PEP 562), so that importing a light module such as
``teacher.config`` (which the HTTP client's wire schemas use) does not load scipy and every
algorithm through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teacher._fit import ArrayFit, FitJob, FitRequest, FitResult, fit_from_json, run_fit
    from teacher.adr import ADR
    from teacher.alpgmm import ALPGMM
    from teacher.alpgmm_plus import ALPGMMPlus
    from teacher.base import FitRecord, Sample, Teacher, TeacherRecord
    from teacher.config import CurriculumConfig, CurriculumFields
    from teacher.covar_gmm import CovarGMM
    from teacher.curriculum import (
        Curriculum,
        EvaluationIn,
        ReportOutcome,
        ResultIn,
        ScoreIn,
        replay,
    )
    from teacher.errors import (
        EventLogError,
        FitError,
        InvalidParameterError,
        InvalidReturnError,
        InvalidSpaceError,
        InvalidTaskError,
        ReplayDivergedError,
        RequestConflictError,
        ResultConflictError,
        StateMismatchError,
        TeacherError,
        UnknownTaskIdError,
    )
    from teacher.events import (
        SCHEMA_VERSION,
        UPGRADES,
        CreatedEvent,
        EvaluationEvent,
        Event,
        ExpiredEvent,
        FitEvent,
        JsonlWriter,
        ResultEvent,
        ScoreEvent,
        TaskEvent,
        event_from_json,
        event_to_json,
        iter_jsonl,
        read_jsonl,
    )
    from teacher.goal_gan import GoalGAN
    from teacher.oracle import Oracle
    from teacher.plr import PLR
    from teacher.random_teacher import RandomTeacher
    from teacher.registry import TEACHERS, make_teacher, teacher_class
    from teacher.riac import RIAC
    from teacher.setter_solver import SetterSolver
    from teacher.space import TaskSpace
    from teacher.spdl import SPDL
    from teacher.toy import ToyStudent

#: public name -> the module that defines it
_WHERE = {
    "FitRequest": "teacher._fit",
    "FitResult": "teacher._fit",
    "run_fit": "teacher._fit",
    "ArrayFit": "teacher._fit",
    "FitJob": "teacher._fit",
    "fit_from_json": "teacher._fit",
    "ADR": "teacher.adr",
    "ALPGMM": "teacher.alpgmm",
    "ALPGMMPlus": "teacher.alpgmm_plus",
    "GoalGAN": "teacher.goal_gan",
    "FitRecord": "teacher.base",
    "Sample": "teacher.base",
    "Teacher": "teacher.base",
    "TeacherRecord": "teacher.base",
    "CurriculumConfig": "teacher.config",
    "CurriculumFields": "teacher.config",
    "CovarGMM": "teacher.covar_gmm",
    "Curriculum": "teacher.curriculum",
    "EvaluationIn": "teacher.curriculum",
    "ReportOutcome": "teacher.curriculum",
    "ResultIn": "teacher.curriculum",
    "ScoreIn": "teacher.curriculum",
    "replay": "teacher.curriculum",
    "EventLogError": "teacher.errors",
    "FitError": "teacher.errors",
    "InvalidParameterError": "teacher.errors",
    "InvalidReturnError": "teacher.errors",
    "InvalidSpaceError": "teacher.errors",
    "InvalidTaskError": "teacher.errors",
    "ReplayDivergedError": "teacher.errors",
    "RequestConflictError": "teacher.errors",
    "ResultConflictError": "teacher.errors",
    "StateMismatchError": "teacher.errors",
    "TeacherError": "teacher.errors",
    "UnknownTaskIdError": "teacher.errors",
    "SCHEMA_VERSION": "teacher.events",
    "UPGRADES": "teacher.events",
    "CreatedEvent": "teacher.events",
    "EvaluationEvent": "teacher.events",
    "Event": "teacher.events",
    "ExpiredEvent": "teacher.events",
    "FitEvent": "teacher.events",
    "JsonlWriter": "teacher.events",
    "ResultEvent": "teacher.events",
    "ScoreEvent": "teacher.events",
    "TaskEvent": "teacher.events",
    "event_from_json": "teacher.events",
    "event_to_json": "teacher.events",
    "iter_jsonl": "teacher.events",
    "read_jsonl": "teacher.events",
    "Oracle": "teacher.oracle",
    "PLR": "teacher.plr",
    "RandomTeacher": "teacher.random_teacher",
    "TEACHERS": "teacher.registry",
    "make_teacher": "teacher.registry",
    "teacher_class": "teacher.registry",
    "RIAC": "teacher.riac",
    "SetterSolver": "teacher.setter_solver",
    "TaskSpace": "teacher.space",
    "SPDL": "teacher.spdl",
    "ToyStudent": "teacher.toy",
}

__all__ = [
    "CurriculumFields",
    "SCHEMA_VERSION",
    "UPGRADES",
    "CreatedEvent",
    "Curriculum",
    "CurriculumConfig",
    "EvaluationEvent",
    "ExpiredEvent",
    "EvaluationIn",
    "Event",
    "FitEvent",
    "JsonlWriter",
    "ReportOutcome",
    "RequestConflictError",
    "ResultConflictError",
    "ResultEvent",
    "ResultIn",
    "ScoreEvent",
    "ScoreIn",
    "ArrayFit",
    "FitJob",
    "fit_from_json",
    "TaskEvent",
    "UnknownTaskIdError",
    "event_from_json",
    "event_to_json",
    "iter_jsonl",
    "read_jsonl",
    "replay",
    "ADR",
    "ALPGMM",
    "ALPGMMPlus",
    "GoalGAN",
    "CovarGMM",
    "EventLogError",
    "FitError",
    "FitRecord",
    "FitRequest",
    "FitResult",
    "InvalidParameterError",
    "InvalidReturnError",
    "InvalidSpaceError",
    "InvalidTaskError",
    "Oracle",
    "PLR",
    "RIAC",
    "SPDL",
    "RandomTeacher",
    "SetterSolver",
    "ReplayDivergedError",
    "Sample",
    "StateMismatchError",
    "TEACHERS",
    "TaskSpace",
    "Teacher",
    "TeacherError",
    "TeacherRecord",
    "ToyStudent",
    "make_teacher",
    "run_fit",
    "teacher_class",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'teacher' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
