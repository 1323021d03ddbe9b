"""What a client sends to define a curriculum, and its validation into a configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import InvalidRequestError
from teacher import CurriculumConfig, TaskSpace, TeacherError, teacher_class

__all__ = ["CurriculumSpec", "build_config", "config_diff"]


@dataclass(frozen=True)
class CurriculumSpec:
    """A curriculum definition as a client sends it (space: name -> (low, high))."""

    name: str
    teacher: str
    space: dict[str, tuple[float, float]]
    teacher_params: dict[str, Any]
    seed: int
    reward_bounds: tuple[float, float] | None = None
    mastery_threshold: float | None = None
    environment: dict[str, str] | None = None


def build_config(spec: CurriculumSpec) -> CurriculumConfig:
    """Validate ``spec`` into a configuration, every hyper-parameter written out
    (defaults included); errors name the field at fault."""
    try:
        space = TaskSpace(spec.space)
    except TeacherError as exc:
        raise InvalidRequestError(f"space: {exc}") from None
    try:
        teacher_class(spec.teacher)
    except TeacherError as exc:
        raise InvalidRequestError(str(exc)) from None
    if spec.reward_bounds is not None and not spec.reward_bounds[0] < spec.reward_bounds[1]:
        raise InvalidRequestError(
            f"reward_bounds must be [low, high] with low < high, got {list(spec.reward_bounds)}"
        )
    config = CurriculumConfig(
        name=spec.name, teacher=spec.teacher, space=space,
        teacher_params=dict(spec.teacher_params), seed=spec.seed,
        reward_bounds=spec.reward_bounds, mastery_threshold=spec.mastery_threshold,
        environment=spec.environment,
    )
    try:
        teacher = config.make_teacher()
    except (TeacherError, TypeError, ValueError) as exc:  # never a 500 for client input
        msg = str(exc)
        raise InvalidRequestError(
            msg if msg.startswith("teacher_params") else f"teacher_params: {msg}"
        ) from None
    return config.resolved(teacher)


def config_diff(a: CurriculumConfig, b: CurriculumConfig) -> list[str]:
    """The configuration fields on which ``a`` and ``b`` differ."""
    ja, jb = a.to_json(), b.to_json()
    return [k for k in ja if ja[k] != jb.get(k)]
