"""Teachers by name."""

from __future__ import annotations

from typing import Any

from teacher.adr import ADR
from teacher.alpgmm import ALPGMM
from teacher.alpgmm_plus import ALPGMMPlus
from teacher.base import Teacher
from teacher.covar_gmm import CovarGMM
from teacher.errors import InvalidParameterError
from teacher.goal_gan import GoalGAN
from teacher.oracle import Oracle
from teacher.plr import PLR
from teacher.random_teacher import RandomTeacher
from teacher.riac import RIAC
from teacher.setter_solver import SetterSolver
from teacher.space import TaskSpace
from teacher.spdl import SPDL

__all__ = ["TEACHERS", "make_teacher", "teacher_class"]

TEACHERS: dict[str, type[Teacher]] = {
    cls.name: cls
    for cls in (ALPGMM, ALPGMMPlus, CovarGMM, RIAC, Oracle, RandomTeacher, ADR, GoalGAN, PLR,
                SetterSolver, SPDL)
}


def teacher_class(name: str) -> type[Teacher]:
    try:
        return TEACHERS[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(
            f"teacher must be one of {sorted(TEACHERS)}, got {name!r}"
        ) from None


def make_teacher(name: str, space: TaskSpace, **hyperparameters: Any) -> Teacher:
    """Build the teacher called ``name`` over ``space``; unknown names or
    hyper-parameters are rejected with the list of valid ones."""
    cls = teacher_class(name)
    valid = cls.param_names()
    unknown = sorted(set(hyperparameters) - set(valid))
    if unknown:
        raise InvalidParameterError(
            f"unknown hyper-parameter {unknown[0]!r} for teacher {name!r}; valid: {valid}"
        )
    return cls(space, **hyperparameters)
