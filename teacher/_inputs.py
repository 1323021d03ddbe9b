"""What a curriculum is fed (results, late scores, evaluations) and the checks that
validate a batch of them as a whole before anything changes (pure functions over the
curriculum's books; :class:`teacher.curriculum.Curriculum` applies what passes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from teacher._scores import ScoreMemory
from teacher.base import check_return
from teacher.errors import ResultConflictError, TeacherError, UnknownTaskIdError
from teacher.events import Event
from teacher.leases import EvaluationKey, evaluation_key
from teacher.space import TaskSpace

__all__ = ["ResultIn", "ScoreIn", "EvaluationIn", "ReportOutcome", "check_results",
           "check_scores", "check_evaluations"]


@dataclass(frozen=True)
class ResultIn:
    """A reported training episode; ``score`` is the student's per-episode score (e.g.
    PLR's positive value loss), if it has one when it reports."""

    task_id: str
    episode_return: float
    length: int | None = None
    worker: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class ScoreIn:
    """A score for the already reported result of ``task_id`` (see teacher._scores)."""

    task_id: str
    score: float


@dataclass(frozen=True)
class EvaluationIn:
    """A reported test episode; params is {name: value} or an array in canonical order."""

    params: Any
    episode_return: float
    test_set: str | None = None
    step: int | None = None
    worker: str | None = None


@dataclass(frozen=True)
class ReportOutcome:
    events: list[Event]
    accepted: int
    duplicates: int


def _optional_count(value: Any, field: str) -> None:
    """None or a non-negative integer (not a bool); TeacherError naming ``field``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 0):
        raise TeacherError(f"{field} must be a non-negative integer, got {value!r}")


def check_results(results: Sequence[ResultIn], reported: Mapping[str, float],
                  pending: Mapping[str, Any], expired: Mapping[str, Any]) -> list[bool]:
    """Validate a batch of results as a whole: per item, whether it repeats an accepted
    report (``reported``: task id -> return); raises on the first invalid item, naming
    its index. Only pending or expired tasks take a first result."""
    seen: dict[str, float] = {}
    dup = []
    for i, r in enumerate(results):
        where = f"results[{i}]" if len(results) > 1 else "result"
        ret = check_return(r.episode_return, f"{where}.return")
        if r.score is not None:
            check_return(r.score, f"{where}.score")
        _optional_count(r.length, f"{where}.length")
        prior = reported.get(r.task_id, seen.get(r.task_id))
        if prior is not None:
            if prior != ret:
                raise ResultConflictError(
                    f"{where}.task_id {r.task_id!r} was already reported with return "
                    f"{prior!r}, got {ret!r}"
                )
            dup.append(True)
            continue
        if r.task_id not in pending and r.task_id not in expired:
            raise UnknownTaskIdError(
                f"{where}.task_id {r.task_id!r} was never issued by this curriculum"
            )
        seen[r.task_id] = ret
        dup.append(False)
    return dup


def check_scores(scores: Sequence[ScoreIn], scorable: ScoreMemory,
                 reported: Mapping[str, float], pending: Mapping[str, Any],
                 expired: Mapping[str, Any]) -> list[bool]:
    """Validate late scores as a whole: per item, whether it repeats a stored score;
    raises on the first invalid item, naming its index. Only the results ``scorable``
    still remembers take one."""
    seen: dict[str, float] = {}
    dup = []
    for i, sc in enumerate(scores):
        where = f"scores[{i}]"  # a list even of one ("score.score" named nothing)
        if not isinstance(sc.task_id, str):
            raise TeacherError(f"{where}.task_id must be a string, got {sc.task_id!r}")
        value = check_return(sc.score, f"{where}.score")
        prior = scorable.score(sc.task_id)
        prior = seen.get(sc.task_id) if prior is None else prior
        if prior is not None:
            if prior != value:
                raise ResultConflictError(
                    f"{where}.task_id {sc.task_id!r} already has score {prior!r}, "
                    f"got {value!r}"
                )
            dup.append(True)
            continue
        if scorable.params(sc.task_id) is None:
            if sc.task_id in reported:
                raise TeacherError(
                    f"{where}.task_id {sc.task_id!r}: its result is older than the "
                    f"newest {scorable.limit} results, which alone take a late score"
                )
            if sc.task_id in pending or sc.task_id in expired:
                raise TeacherError(
                    f"{where}.task_id {sc.task_id!r} has no result yet: report the "
                    "result first (it may carry the score itself)"
                )
            raise UnknownTaskIdError(
                f"{where}.task_id {sc.task_id!r} was never issued by this curriculum"
            )
        seen[sc.task_id] = value
        dup.append(False)
    return dup


def check_evaluations(
    evaluations: Sequence[EvaluationIn], space: TaskSpace,
    evaluated: Mapping[EvaluationKey, float],
) -> list[tuple[dict[str, float], float, EvaluationIn]]:
    """Validate test episodes as a whole; returns (params, return, input) of those to
    store, dropping repeats of stored ones (``evaluated``: key -> return); raises on the
    first invalid item, naming its index."""
    parsed = []
    batch: dict[EvaluationKey, float] = {}
    for i, ev in enumerate(evaluations):
        where = f"evaluations[{i}]"
        params = space.to_dict(space.validate(ev.params, field=f"{where}.params"))
        ret = check_return(ev.episode_return, f"{where}.return")
        _optional_count(ev.step, f"{where}.step")
        key = evaluation_key(ev.test_set, ev.step, ev.worker, params)
        prior = None if key is None else evaluated.get(key, batch.get(key))
        if prior is not None and prior != ret:
            raise ResultConflictError(
                f"{where}: this evaluation (test set {ev.test_set!r}, step {ev.step}, "
                f"worker {ev.worker!r}) was already stored with return {prior!r}, got {ret!r}"
            )
        if prior is None:
            if key is not None:
                batch[key] = ret
            parsed.append((params, ret, ev))
    return parsed
