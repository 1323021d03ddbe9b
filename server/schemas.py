"""Wire schemas of the teacher server's HTTP API (JSON under ``/v1``).

This module imports nothing but pydantic and the standard library, so HTTP clients
(``students``) can use the request and response models without loading the service.
Request models reject unknown fields and non-finite numbers; numbers are strict (a
string or a boolean is not a number; a float with no fractional part, such as ``3.0``, is an
integer as JSON Schema says). Everything a request may store is checked here, before it is
queued, against what every store backend and export format can hold: integers fit in int64,
strings hold no NUL character (PostgreSQL text cannot), space bounds stay within what the
teachers sample faithfully (:data:`MAX_SPACE_BOUND`, :data:`MIN_SPACE_RESOLUTION`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "MAX_TASKS_PER_REQUEST",
    "MAX_ITEMS_PER_REQUEST",
    "INT64_MAX",
    "MAX_SPACE_BOUND",
    "MIN_SPACE_RESOLUTION",
    "MAX_PARAM_DEPTH",
    "CurriculumCreate",
    "CurriculumConfigOut",
    "CurriculumOut",
    "CurriculumList",
    "Counts",
    "GMMSummary",
    "FittingOut",
    "MasteryRow",
    "TasksRequest",
    "TaskOut",
    "TasksOut",
    "ResultItemIn",
    "ResultBatchIn",
    "ResultsBody",
    "ReportOut",
    "EvaluationItemIn",
    "EvaluationBatchIn",
    "EvaluationsOut",
    "HealthOut",
    "StoreHealthOut",
    "FailedCurriculumOut",
    "ErrorItem",
    "ErrorOut",
    "results_kind",
]

MAX_TASKS_PER_REQUEST = 256
MAX_ITEMS_PER_REQUEST = 1024
#: The largest integer every backend (SQLite, PostgreSQL bigint) and Parquet (int64) holds.
INT64_MAX = 2**63 - 1
#: Space bounds lie in [-MAX_SPACE_BOUND, MAX_SPACE_BOUND]: the teachers sample and fit in
#: float64 over the space's width, which must itself be a finite float.
MAX_SPACE_BOUND = 1e9
#: A parameter's width is at least this fraction of its largest bound (and of 1): about a
#: million distinct float64 values between low and high, so sampled tasks do not collapse.
MIN_SPACE_RESOLUTION = 1e-6

_NO_NUL = {"pattern": "^[^\\u0000]*$"}


def _whole_number(value: Any) -> Any:
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
    int, Field(strict=True, ge=0, le=INT64_MAX), BeforeValidator(_whole_number)
]
Text = Annotated[str, AfterValidator(_storable_text), Field(json_schema_extra=_NO_NUL)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Label = Annotated[Text, Field(max_length=200)]
SpaceBound = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=-MAX_SPACE_BOUND, le=MAX_SPACE_BOUND)
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- curricula --------------------------------------------------------------------------
class CurriculumCreate(_In):
    """A curriculum definition. ``space`` maps each parameter to ``[low, high]``; its
    order is the canonical parameter order. ``seed`` is the teacher's random_state."""

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
        _check_storable(value, "teacher_params")
        return value


#: How deep ``teacher_params`` may nest (a hyper-parameter is a number, a string or a
#: short list); deeper input would exhaust the recursion of the code that reads it.
MAX_PARAM_DEPTH = 8


def _check_storable(value: Any, where: str, depth: int = 0) -> None:
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
            _check_storable(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_storable(v, f"{where}[{i}]", depth + 1)


class CurriculumConfigOut(BaseModel):
    teacher: str
    space: dict[str, tuple[float, float]]
    teacher_params: dict[str, Any]
    seed: int | None
    reward_bounds: tuple[float, float] | None
    mastery_threshold: float | None
    environment: dict[str, str] | None = None


class Counts(BaseModel):
    tasks: int = Field(description="tasks issued")
    results: int = Field(description="results accepted (fed to the teacher)")
    pending: int = Field(description="tasks issued and not yet reported")
    evaluations: int
    fits: int = Field(description="fits installed")


class GMMSummary(BaseModel):
    """The installed Gaussian mixture over [task..., extra] coordinates; ``alp`` is each
    component's interest (ALP for ALP-GMM). Shapes: weights (k,), means (k, D),
    covariances (k, D, D)."""

    fit_index: int
    episode: int = Field(description="results the teacher had when the fit took effect")
    k: int
    weights: list[float]
    means: list[list[float]]
    covariances: list[list[list[float]]]
    alp: list[float]
    criterion: str
    criterion_value: float


class FittingOut(BaseModel):
    in_flight: bool = Field(description="a fit is being computed in a worker process")
    behind: int = Field(description="fits due and not yet installed")
    coalesced: int = Field(description="due fits skipped because a newer window was due")


class MasteryRow(BaseModel):
    test_set: str | None
    step: int | None
    evaluated: int
    mastered: int
    mastery_pct: float


class CurriculumOut(BaseModel):
    id: str
    name: str
    created: str = Field(description="ISO 8601 UTC time of the 'created' event")
    seq: int = Field(description="seq of the newest event")
    config: CurriculumConfigOut
    counts: Counts
    last_fit_time: str | None
    gmm: GMMSummary | None
    fitting: FittingOut
    latest_mastery_pct: float | None
    mastery: list[MasteryRow]


class CurriculumList(BaseModel):
    curricula: list[CurriculumOut]


# -- tasks ------------------------------------------------------------------------------
class TasksRequest(_In):
    count: Annotated[
        int, Field(strict=True, ge=1, le=MAX_TASKS_PER_REQUEST), BeforeValidator(_whole_number)
    ] = 1
    request_id: Annotated[Text, Field(min_length=1, max_length=128)] | None = Field(
        None,
        description="the client's id of this request (e.g. a UUID): a retry with the same "
        "id and count is answered with the same tasks instead of new ones; the same id with "
        "another count is a 409. Remembered for the newest 4,096 tasks issued with an id.",
    )


class TaskOut(BaseModel):
    task_id: str
    params: dict[str, float] = Field(description="{name: value} in canonical order")
    origin: str = Field(description="bootstrap, random, gaussian:<i>, ...")


class TasksOut(BaseModel):
    tasks: list[TaskOut]


# -- results ----------------------------------------------------------------------------
class ResultItemIn(_In):
    """One result on the wire; the service turns it into a :class:`teacher.ResultIn`."""

    task_id: Name
    episode_return: FiniteFloat = Field(alias="return")
    length: Int64 | None = None
    worker: Label | None = None


class ResultBatchIn(_In):
    results: list[ResultItemIn] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)


def results_kind(value: Any) -> str:
    """Which form a results body has: a batch ``{"results": [...]}`` or one result."""
    if isinstance(value, dict) and "results" in value:
        return "results"
    if isinstance(value, ResultBatchIn):
        return "results"
    return "result"


ResultsBody = Annotated[
    Annotated[ResultItemIn, Tag("result")] | Annotated[ResultBatchIn, Tag("results")],
    Discriminator(results_kind),
]


class ReportOut(BaseModel):
    accepted: int = Field(description="results stored and fed to the teacher")
    duplicates: int = Field(description="results already stored with the same return")


# -- evaluations ------------------------------------------------------------------------
class EvaluationItemIn(_In):
    """One evaluation on the wire; the service turns it into a :class:`teacher.EvaluationIn`."""

    params: dict[Text, FiniteFloat]
    episode_return: FiniteFloat = Field(alias="return")
    test_set: Label | None = None
    step: Int64 | None = None
    worker: Label | None = None


class EvaluationBatchIn(_In):
    evaluations: list[EvaluationItemIn] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)


class EvaluationsOut(BaseModel):
    accepted: int
    mastery: list[MasteryRow] = Field(
        description="% of evaluations whose return exceeds the mastery threshold, per "
        "(test_set, step); empty without a threshold"
    )


# -- service ----------------------------------------------------------------------------
class FailedCurriculumOut(BaseModel):
    id: str
    name: str
    reason: str


class StoreHealthOut(BaseModel):
    """``writable``: the latest write (or a probe write, when writes are older than 1 s)
    committed; ``claimed``: this server holds the store's one-server claim."""

    writable: bool
    claimed: bool
    error: str | None = None


class HealthOut(BaseModel):
    """``status``: ``ok``; ``degraded`` (200) when some stored curricula failed to load
    (listed in ``failed``; the others serve); ``unavailable`` (503) when the store takes
    no writes or this server lost its claim."""

    status: str
    curricula: int
    store: StoreHealthOut | None = None
    failed: list[FailedCurriculumOut] = []


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error response: ``detail`` names the field and the problem; ``errors`` lists
    each validation problem of a 422."""

    detail: str
    errors: list[ErrorItem] | None = None
