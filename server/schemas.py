"""Wire schemas of the teacher server's HTTP API (JSON under ``/v1``).

This module imports pydantic, the standard library and the teacher library's light
configuration module (:mod:`teacher.config`, which defines the curriculum fields and the
storable-value types once), so HTTP clients (``students``) can use the request and response
models without loading the service.
Request models reject unknown fields and non-finite numbers; numbers are strict (a
string or a boolean is not a number; a float with no fractional part, such as ``3.0``, is an
integer as JSON Schema says). Everything a request may store is checked here, before it is
queued, against what every store backend and export format can hold: integers fit in int64,
strings hold no NUL character (PostgreSQL text cannot), space bounds stay within what the
teachers sample faithfully (:data:`MAX_SPACE_BOUND`, :data:`MIN_SPACE_RESOLUTION`).
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
)

from teacher.config import (
    INT64_MAX,
    MAX_PARAM_DEPTH,
    MAX_SPACE_BOUND,
    MIN_SPACE_RESOLUTION,
    CurriculumFields,
    FiniteFloat,
    Int64,
    Label,
    Name,
    Text,
    whole_number,
)

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


MAX_TASKS_PER_REQUEST = 256
MAX_ITEMS_PER_REQUEST = 1024


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- curricula --------------------------------------------------------------------------
class CurriculumCreate(CurriculumFields):
    """A curriculum definition: the teacher library's :class:`teacher.config.CurriculumFields`
    (the one definition of the fields and their checks). ``space`` maps each parameter to
    ``[low, high]``; its order is the canonical parameter order. ``seed`` is the teacher's
    random_state."""


def _config_out() -> type[BaseModel]:
    """The configuration as responses show it, derived from CurriculumFields: the same
    fields and plain types (no input checks), without the name (the curriculum carries it);
    ``seed`` may be null (logs that recorded none)."""
    fields: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(CurriculumFields).items():
        if name == "name" or name.startswith("model_"):
            continue
        default = CurriculumFields.model_fields[name].default
        kind = hint | None if name == "seed" else hint
        fields[name] = (kind, None) if default is None else (kind, ...)
    return create_model("CurriculumConfigOut", __base__=BaseModel, **fields)


if typing.TYPE_CHECKING:  # a model made at run time; to mypy, a model
    CurriculumConfigOut = BaseModel
else:
    CurriculumConfigOut = _config_out()


class Counts(BaseModel):
    tasks: int = Field(description="tasks issued")
    results: int = Field(description="results accepted (fed to the teacher)")
    pending: int = Field(
        description="tasks issued, not yet reported and within their lease "
        "(CURRICULUM_TASK_LEASE_S)"
    )
    expired: int = Field(
        0, description="tasks whose lease ran out unreported (a late result is still "
        "accepted)"
    )
    evaluations: int = Field(description="evaluation episodes stored (each once)")
    fits: int = Field(description="fits installed")
    scores: int = Field(0, description="late scores accepted (for results reported earlier)")


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
        int, Field(strict=True, ge=1, le=MAX_TASKS_PER_REQUEST), BeforeValidator(whole_number)
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
    accepted: int = Field(description="evaluations stored")
    duplicates: int = Field(0, description="evaluations already stored with the same return")
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
