"""The configuration of a curriculum: one type, its validation, and the teacher it makes.

:class:`CurriculumConfig` is what a ``created`` event and a saved state record;
:class:`CurriculumFields` validates a definition as a client writes it (the server's wire
schema ``CurriculumCreate`` is that model, not a copy) and
:meth:`CurriculumConfig.from_fields` turns it into a configuration with every
hyper-parameter written out. Adding a configuration field touches the dataclass below (with
its JSON form), its check in :class:`CurriculumFields`, and the docs.

This module is light: the standard library, numpy and pydantic. The teacher registry (and
so every algorithm) is imported only when a teacher is made, so ``teacher.events`` and the
server's wire schemas do not load the algorithms through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from teacher.errors import TeacherError
from teacher.space import TaskSpace

if TYPE_CHECKING:
    from teacher.base import Teacher

__all__ = [
    "INT64_MAX",
    "MAX_SPACE_BOUND",
    "MIN_SPACE_RESOLUTION",
    "MAX_PARAM_DEPTH",
    "CurriculumConfig",
    "CurriculumFields",
    "FiniteFloat",
    "Int64",
    "Label",
    "Name",
    "SpaceBound",
    "Text",
    "check_storable",
    "whole_number",
]

#: The largest integer every backend (SQLite, PostgreSQL bigint) and Parquet (int64) holds.
INT64_MAX = 2**63 - 1
#: Space bounds lie in [-MAX_SPACE_BOUND, MAX_SPACE_BOUND]: the teachers sample and fit in
#: float64 over the space's width, which must itself be a finite float.
MAX_SPACE_BOUND = 1e9
#: A parameter's width is at least this fraction of its largest bound (and of 1): about a
#: million distinct float64 values between low and high, so sampled tasks do not collapse.
MIN_SPACE_RESOLUTION = 1e-6

_NO_NUL = {"pattern": "^[^\\u0000]*$"}


def whole_number(value: Any) -> Any:
    """JSON Schema counts ``194.0`` as an integer: such a float becomes an int (then the
    strict integer checks apply); any other value passes through unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError(
            "nul_character", "must not contain the NUL character (\\u0000), got {value!r}",
            {"value": value[:60]},
        )
    return value


FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
# The validator comes after the constraints, so that they reach the JSON Schema.
Int64 = Annotated[
    int, Field(strict=True, ge=0, le=INT64_MAX), BeforeValidator(whole_number)
]
Text = Annotated[str, AfterValidator(_storable_text), Field(json_schema_extra=_NO_NUL)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Label = Annotated[Text, Field(max_length=200)]
SpaceBound = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=-MAX_SPACE_BOUND, le=MAX_SPACE_BOUND)
]


class CurriculumFields(BaseModel):
    """A curriculum definition as a client writes it, every field checked against what
    each store backend and export format holds. ``space`` maps each parameter to
    ``[low, high]``; its order is the canonical parameter order. ``seed`` is the
    teacher's random_state. (No ``params_version``: a new definition always takes today's
    defaults.) The server's request body ``CurriculumCreate`` is this model."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Name
    teacher: Name = "alp-gmm"
    space: dict[Name, tuple[SpaceBound, SpaceBound]] = Field(
        min_length=1, max_length=64,
        description=f"name -> [low, high], low < high, each within +-{MAX_SPACE_BOUND:g} and "
        f"high - low >= {MIN_SPACE_RESOLUTION:g} * max(1, |low|, |high|)",
    )
    teacher_params: dict[str, Any] = Field(default_factory=dict)
    reward_bounds: tuple[FiniteFloat, FiniteFloat] | None = None
    mastery_threshold: FiniteFloat | None = None
    seed: Int64 = 0
    environment: dict[Name, Name] | None = Field(default=None, max_length=16)

    @field_validator("space")
    @classmethod
    def _resolvable_space(
        cls, value: dict[str, tuple[float, float]]
    ) -> dict[str, tuple[float, float]]:
        for name, (low, high) in value.items():
            scale = max(1.0, abs(low), abs(high))
            if low < high and high - low < MIN_SPACE_RESOLUTION * scale:
                raise PydanticCustomError(
                    "space_too_narrow",
                    "{name}: [low, high] must be at least {need:g} wide at this magnitude "
                    "(the teachers could not sample distinct tasks), got [{low!r}, {high!r}]",
                    {"name": name, "need": MIN_SPACE_RESOLUTION * scale, "low": low,
                     "high": high},
                )
        return value

    @field_validator("teacher_params")
    @classmethod
    def _storable_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_storable(value, "teacher_params")
        return value


#: How deep ``teacher_params`` may nest (a hyper-parameter is a number, a string or a
#: short list); deeper input would exhaust the recursion of the code that reads it.
MAX_PARAM_DEPTH = 8


def check_storable(value: Any, where: str, depth: int = 0) -> None:
    """Finite numbers, int64 integers, no NUL in strings or keys, at most
    MAX_PARAM_DEPTH levels of nesting."""
    problem = None
    if depth > MAX_PARAM_DEPTH:
        raise PydanticCustomError(
            "too_deep", "{where} must not nest deeper than {limit} levels",
            {"where": where, "limit": MAX_PARAM_DEPTH},
        )
    if isinstance(value, float) and not math.isfinite(value):
        problem = "must be a finite number"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
        problem = f"must be an integer within +-{INT64_MAX} (int64)"
    elif isinstance(value, str) and "\x00" in value:
        problem = "must not contain the NUL character (\\u0000)"
    if problem is not None:
        raise PydanticCustomError("unstorable", "{where} {problem}, got {value}",
                                  {"where": where, "problem": problem,
                                   "value": repr(value)[:60]})
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in str(k):
                raise PydanticCustomError(
                    "nul_character", "{where}: keys must not contain the NUL character "
                    "(\\u0000), got {key}", {"where": where, "key": repr(k)[:60]})
            check_storable(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_storable(v, f"{where}[{i}]", depth + 1)


@dataclass(frozen=True)
class CurriculumConfig:
    """Everything that defines a curriculum. ``seed`` is the teacher's random_state.

    ``environment``: optional labels of what the students train on, e.g.
    ``{"id": "StumpTracks-v1", "walker": "default"}`` (the id carries the version). The
    teacher ignores them; clients compare them so that a worker never joins a curriculum
    made for another environment. None when not recorded (logs from before the field).

    ``params_version``: the teacher's hyper-parameter version ``teacher_params`` were
    written under (:attr:`teacher.base.Teacher.params_version`); None for a new
    configuration, which always takes today's defaults. :meth:`resolved` stamps today's.
    """

    name: str
    teacher: str
    space: TaskSpace
    teacher_params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = 0
    reward_bounds: tuple[float, float] | None = None
    mastery_threshold: float | None = None
    environment: dict[str, str] | None = None
    params_version: int | None = None

    def __post_init__(self) -> None:
        env = self.environment
        if env is not None and not (
            isinstance(env, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        ):
            raise TeacherError(
                f"environment must be a mapping of strings to strings or None, got {env!r}"
            )

    @classmethod
    def from_fields(cls, fields: CurriculumFields) -> CurriculumConfig:
        """Validate a client's definition into a configuration, every hyper-parameter
        written out (defaults included). TeacherError names the field at fault."""
        from teacher.registry import teacher_class

        d = fields.model_dump()
        try:
            space = TaskSpace(d.pop("space"))
        except TeacherError as exc:
            raise TeacherError(f"space: {exc}") from None
        teacher_class(fields.teacher)
        rb = d.pop("reward_bounds")
        if rb is not None and not rb[0] < rb[1]:
            raise TeacherError(
                f"reward_bounds must be [low, high] with low < high, got {list(rb)}"
            )
        config = cls(space=space, reward_bounds=rb, **d)
        try:
            teacher = config.make_teacher()
        except (TeacherError, TypeError, ValueError) as exc:
            msg = str(exc)
            raise TeacherError(
                msg if msg.startswith("teacher_params") else f"teacher_params: {msg}"
            ) from None
        return config.resolved(teacher)

    def make_teacher(self) -> Teacher:
        """A fresh teacher for this configuration (validates the hyper-parameters).
        Parameters of an older ``params_version`` are migrated to today's first
        (:meth:`teacher.base.Teacher.migrate_params`)."""
        from teacher.base import to_tuples
        from teacher.registry import make_teacher, teacher_class

        for reserved in _reserved():
            if reserved in self.teacher_params:
                raise TeacherError(
                    f"teacher_params must not contain {reserved!r}; use the curriculum's "
                    f"{'seed' if reserved == 'random_state' else 'reward_bounds'} field"
                )
        params = {k: to_tuples(v) for k, v in self.teacher_params.items()}
        params = teacher_class(self.teacher).migrate_params(params, self.params_version)
        return make_teacher(
            self.teacher, self.space, **params, random_state=self.seed,
            reward_bounds=self.reward_bounds,
        )

    def resolved(self, teacher: Teacher | None = None) -> CurriculumConfig:
        """This configuration with every hyper-parameter written out, defaults included,
        so that its log replays the same under a later version with other defaults.
        ``teacher``: one already made from this configuration (saves making another)."""
        made = teacher if teacher is not None else self.make_teacher()
        reserved = _reserved()
        params = {k: _lists(v) for k, v in made.get_params().items() if k not in reserved}
        return replace(self, teacher_params=params, params_version=made.params_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "teacher": self.teacher,
            "space": self.space.to_json(),
            "teacher_params": _lists(dict(self.teacher_params)),
            "seed": self.seed,
            "reward_bounds": list(self.reward_bounds) if self.reward_bounds else None,
            "mastery_threshold": self.mastery_threshold,
            "environment": None if self.environment is None else dict(self.environment),
            "params_version": self.params_version,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CurriculumConfig:
        """A recorded configuration. One recorded before hyper-parameter versions existed
        (no ``params_version`` key) gets its version inferred here, the one documented
        inference (:meth:`teacher.base.Teacher.infer_params_version`)."""
        from teacher.registry import teacher_class

        rb = d.get("reward_bounds")
        params = dict(d.get("teacher_params") or {})
        if "params_version" in d:
            version = d["params_version"]
        else:
            try:
                version = teacher_class(str(d["teacher"])).infer_params_version(params)
            except TeacherError:
                version = None  # an unknown teacher: make_teacher names it
        return cls(
            name=str(d["name"]),
            teacher=str(d["teacher"]),
            space=TaskSpace.from_json(d["space"]),
            teacher_params=params,
            seed=d.get("seed"),
            reward_bounds=(float(rb[0]), float(rb[1])) if rb is not None else None,
            mastery_threshold=(
                None if d.get("mastery_threshold") is None else float(d["mastery_threshold"])
            ),
            environment=None if d.get("environment") is None else dict(d["environment"]),
            params_version=version,
        )


def _reserved() -> tuple[str, ...]:
    """Teacher arguments a configuration holds in its own fields (seed, reward_bounds)."""
    from teacher.base import BASE_PARAMS

    return BASE_PARAMS


def _lists(v: Any) -> Any:
    """``v`` as JSON values: tuples become lists, numpy scalars Python numbers."""
    if isinstance(v, tuple | list):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return {k: _lists(x) for k, x in v.items()}
    return v.item() if isinstance(v, np.generic) else v
