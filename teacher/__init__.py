"""Curriculum teachers: ALP-GMM and the baselines it is compared with.

Pure numpy / scipy / scikit-learn. ``teacher.analysis`` (optional extra) adds pandas and
matplotlib tooling on top of the event logs.
"""

from teacher._fit import FitRequest, FitResult, run_fit
from teacher.alpgmm import ALPGMM
from teacher.alpgmm_plus import ALPGMMPlus
from teacher.base import FitRecord, Sample, Teacher, TeacherRecord
from teacher.covar_gmm import CovarGMM
from teacher.curriculum import Curriculum, EvaluationIn, ReportOutcome, ResultIn, replay
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
    CurriculumConfig,
    EvaluationEvent,
    Event,
    FitEvent,
    JsonlWriter,
    ResultEvent,
    TaskEvent,
    event_from_json,
    event_to_json,
    iter_jsonl,
    read_jsonl,
)
from teacher.oracle import Oracle
from teacher.random_teacher import RandomTeacher
from teacher.registry import TEACHERS, make_teacher, teacher_class
from teacher.riac import RIAC
from teacher.space import TaskSpace
from teacher.toy import ToyStudent

__all__ = [
    "SCHEMA_VERSION",
    "UPGRADES",
    "CreatedEvent",
    "Curriculum",
    "CurriculumConfig",
    "EvaluationEvent",
    "EvaluationIn",
    "Event",
    "FitEvent",
    "JsonlWriter",
    "ReportOutcome",
    "RequestConflictError",
    "ResultConflictError",
    "ResultEvent",
    "ResultIn",
    "TaskEvent",
    "UnknownTaskIdError",
    "event_from_json",
    "event_to_json",
    "iter_jsonl",
    "read_jsonl",
    "replay",
    "ALPGMM",
    "ALPGMMPlus",
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
    "RIAC",
    "RandomTeacher",
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
