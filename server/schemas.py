"""Wire schemas of the teacher server's HTTP API (JSON under ``/v1``).

This module imports nothing but pydantic and the standard library, so HTTP clients
(``students``) can use the request and response models without loading the service.
Request models reject unknown fields and non-finite numbers; numbers are strict (a
string or a boolean is not a number).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

__all__ = [
    "MAX_TASKS_PER_REQUEST",
    "MAX_ITEMS_PER_REQUEST",
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
    "ResultIn",
    "ResultBatchIn",
    "ResultsBody",
    "ReportOut",
    "EvaluationIn",
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

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
StrictNonNegInt = Annotated[int, Field(strict=True, ge=0)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- curricula --------------------------------------------------------------------------
class CurriculumCreate(_In):
    """A curriculum definition. ``space`` maps each parameter to ``[low, high]``; its
    order is the canonical parameter order. ``seed`` is the teacher's random_state."""

    name: Name
    teacher: Name = "alp-gmm"
    space: dict[Name, tuple[FiniteFloat, FiniteFloat]] = Field(min_length=1, max_length=64)
    teacher_params: dict[str, Any] = Field(default_factory=dict)
    reward_bounds: tuple[FiniteFloat, FiniteFloat] | None = None
    mastery_threshold: FiniteFloat | None = None
    seed: Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)] = 0

    @field_validator("teacher_params")
    @classmethod
    def _finite_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_finite(value, "teacher_params")
        return value


def _check_finite(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_finite(v, f"{where}[{i}]")


class CurriculumConfigOut(BaseModel):
    teacher: str
    space: dict[str, tuple[float, float]]
    teacher_params: dict[str, Any]
    seed: int | None
    reward_bounds: tuple[float, float] | None
    mastery_threshold: float | None


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
    count: Annotated[int, Field(strict=True, ge=1, le=MAX_TASKS_PER_REQUEST)] = 1


class TaskOut(BaseModel):
    task_id: str
    params: dict[str, float] = Field(description="{name: value} in canonical order")
    origin: str = Field(description="bootstrap, random, gaussian:<i>, ...")


class TasksOut(BaseModel):
    tasks: list[TaskOut]


# -- results ----------------------------------------------------------------------------
class ResultIn(_In):
    task_id: Annotated[str, Field(min_length=1, max_length=200)]
    episode_return: FiniteFloat = Field(alias="return")
    length: StrictNonNegInt | None = None
    worker: Label | None = None


class ResultBatchIn(_In):
    results: list[ResultIn] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)


def results_kind(value: Any) -> str:
    """Which form a results body has: a batch ``{"results": [...]}`` or one result."""
    if isinstance(value, dict) and "results" in value:
        return "results"
    if isinstance(value, ResultBatchIn):
        return "results"
    return "result"


ResultsBody = Annotated[
    Annotated[ResultIn, Tag("result")] | Annotated[ResultBatchIn, Tag("results")],
    Discriminator(results_kind),
]


class ReportOut(BaseModel):
    accepted: int = Field(description="results stored and fed to the teacher")
    duplicates: int = Field(description="results already stored with the same return")


# -- evaluations ------------------------------------------------------------------------
class EvaluationIn(_In):
    params: dict[str, FiniteFloat]
    episode_return: FiniteFloat = Field(alias="return")
    test_set: Label | None = None
    step: StrictNonNegInt | None = None
    worker: Label | None = None


class EvaluationBatchIn(_In):
    evaluations: list[EvaluationIn] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)


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
