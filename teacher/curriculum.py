"""A curriculum as an event-sourced state machine: a teacher plus the books around it
(issued and pending tasks, reported results, evaluations, fits).

Every state change is an event (see :mod:`teacher.events`); ``apply`` replays one, so a
curriculum rebuilt from its log equals the live one. No I/O happens here: the server and
local runs persist the events this class returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from teacher import _snapshot
from teacher._fit import AnyFit, run_fit
from teacher._inputs import (
    EvaluationIn,
    ReportOutcome,
    ResultIn,
    ScoreIn,
    check_evaluations,
    check_results,
    check_scores,
)
from teacher._requests import RequestMemory
from teacher._scores import ScoreMemory
from teacher.base import Teacher
from teacher.errors import (
    ReplayDivergedError,
    RequestConflictError,
    TeacherError,
)
from teacher.events import (
    CreatedEvent,
    CurriculumConfig,
    EvaluationEvent,
    Event,
    ExpiredEvent,
    FitEvent,
    ResultEvent,
    ScoreEvent,
    TaskEvent,
    utc_now,
)
from teacher.leases import EvaluationKey, evaluation_key, overdue_tasks

__all__ = ["Curriculum", "ResultIn", "ScoreIn", "EvaluationIn", "ReportOutcome", "replay"]


class Curriculum:
    """Live state of one curriculum.

    fit_mode: ``"sync"`` runs a due fit inside :meth:`report` (in-process use);
    ``"defer"`` leaves it in ``teacher.pending_fit`` for the caller to compute elsewhere
    and hand back through :meth:`install_fit` (the server).
    task_id_prefix: task ids are ``f"{prefix}{seq}"``, unique when prefixes are.

    Tasks issued for a request id are remembered (the newest requests, up to
    :attr:`REMEMBERED_TASKS` tasks in all) so that the same request id gets the same
    tasks again; the memory is rebuilt exactly by replay.
    """

    #: How many of the newest tasks issued with a request id are remembered.
    REMEMBERED_TASKS = 4096
    #: How many of the newest results can still take a late score.
    SCORABLE_RESULTS = 8192

    def __init__(
        self,
        config: CurriculumConfig,
        *,
        fit_mode: str = "sync",
        task_id_prefix: str = "t",
        clock: Callable[[], str] = utc_now,
    ):
        if fit_mode not in ("sync", "defer"):
            raise TeacherError(f"fit_mode must be 'sync' or 'defer', got {fit_mode!r}")
        self.teacher: Teacher = config.make_teacher()
        # Recorded with every hyper-parameter written out, and a seedless configuration
        # with the entropy it drew, so that the log replays exactly.
        resolved = config.resolved(self.teacher)
        self.config = resolved if config.seed is not None else replace(
            resolved, seed=self.teacher.entropy_
        )
        self.fit_mode = fit_mode
        self.task_id_prefix = task_id_prefix
        self.clock = clock
        self.seq = 0
        self.pending: dict[str, dict[str, float]] = {}
        self.issued: dict[str, str] = {}  # pending task id -> issue time (its lease)
        self.expired: dict[str, dict[str, float]] = {}  # expired, not reported (yet)
        self.evaluated: dict[EvaluationKey, float] = {}
        self.n_expired = 0
        self.reported: dict[str, float] = {}
        self.requests = RequestMemory(self.REMEMBERED_TASKS)
        self.scorable = ScoreMemory(self.SCORABLE_RESULTS)
        self.n_scores = 0  # late scores (score events)
        self.n_tasks = 0
        self.n_results = 0
        self.n_evaluations = 0
        self.n_fits = 0
        self.last_fit_time: str | None = None
        # (test_set, step) -> [n mastered, n evaluated]
        self.mastery: dict[tuple[str | None, int | None], list[int]] = {}

    # -- creation -------------------------------------------------------------------------
    def created_event(self) -> CreatedEvent:
        """The ``created`` event; call once on a new curriculum (seq 1)."""
        if self.seq != 0:
            raise TeacherError("created_event must be the first event")
        self.seq = 1
        return CreatedEvent(1, self.clock(), self.config)

    def _next(self) -> tuple[int, str]:
        self.seq += 1
        return self.seq, self.clock()

    # -- tasks ----------------------------------------------------------------------------
    def issue_tasks(self, count: int = 1, request_id: str | None = None) -> list[TaskEvent]:
        """Sample ``count`` tasks; each becomes pending until reported. A ``request_id``
        already seen returns the tasks issued for it then (no new event; check the seq),
        or raises RequestConflictError if that request asked for another count."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise TeacherError(f"count must be a positive integer, got {count!r}")
        if request_id is not None:
            if not isinstance(request_id, str) or not request_id:
                raise TeacherError(f"request_id must be a non-empty string, got {request_id!r}")
            earlier = self.requests.get(request_id)
            if earlier is not None:
                if len(earlier) != count:
                    raise RequestConflictError(
                        f"request_id {request_id!r} was used for a request of {len(earlier)} "
                        f"task(s), this one asks for {count}; use a new request_id"
                    )
                return earlier
        out = []
        for _ in range(count):
            s = self.teacher.sample()
            seq, time = self._next()
            e = TaskEvent(seq, time, f"{self.task_id_prefix}{seq}",
                          self.teacher.space.to_dict(s.task), s.origin, request_id=request_id,
                          seed=s.seed)
            self._apply_task(e)
            out.append(e)
        return out

    def _apply_task(self, e: TaskEvent) -> None:
        self.pending[e.task_id] = e.params
        self.issued[e.task_id] = e.time
        self.n_tasks += 1
        if e.request_id is not None:
            self.requests.add(e)

    # -- results --------------------------------------------------------------------------
    def check_results(self, results: Sequence[ResultIn]) -> list[bool]:
        """Validate a batch as a whole without changing anything. Returns, per item,
        whether it is a duplicate of an already accepted report. Raises on the first
        invalid item, naming its index."""
        return check_results(results, self.reported, self.pending, self.expired)

    def report(self, results: Sequence[ResultIn]) -> ReportOutcome:
        """Feed results to the teacher in order (all-or-nothing validation first)."""
        dup = self.check_results(results)
        events: list[Event] = []
        for r, is_dup in zip(results, dup, strict=True):
            if is_dup:
                continue
            seq, time = self._next()
            params = self.pending.get(r.task_id) or self.expired[r.task_id]
            e = ResultEvent(seq, time, r.task_id, params,
                            float(r.episode_return), r.length, r.worker,
                            score=None if r.score is None else float(r.score))
            self._apply_result(e)
            events.append(e)
            if self.fit_mode == "sync" and self.teacher.pending_fit is not None:
                events.append(self.install_fit(run_fit(self.teacher.pending_fit)))
        return ReportOutcome(events, len(results) - sum(dup), sum(dup))

    def _apply_result(self, e: ResultEvent) -> None:
        self.teacher.observe(e.params, e.episode_return, e.score)
        if e.task_id is not None:
            self.pending.pop(e.task_id, None)
            self.issued.pop(e.task_id, None)
            self.expired.pop(e.task_id, None)
            self.reported[e.task_id] = e.episode_return
            self.scorable.add_result(e.task_id, e.params, e.score)
        self.n_results += 1

    # -- late scores ----------------------------------------------------------------------
    def check_scores(self, scores: Sequence[ScoreIn]) -> list[bool]:
        """Validate late scores as a whole; True marks a duplicate (the same score for
        the same task again), which changes nothing."""
        return check_scores(scores, self.scorable, self.reported, self.pending, self.expired)

    def report_scores(self, scores: Sequence[ScoreIn]) -> ReportOutcome:
        """Feed late scores to the teacher in order (all-or-nothing validation first)."""
        dup = self.check_scores(scores)
        events: list[Event] = []
        for sc, is_dup in zip(scores, dup, strict=True):
            if is_dup:
                continue
            params = self.scorable.params(sc.task_id)
            assert params is not None  # checked above
            seq, time = self._next()
            e = ScoreEvent(seq, time, sc.task_id, params, float(sc.score))
            self._apply_score(e)
            events.append(e)
        return ReportOutcome(events, len(scores) - sum(dup), sum(dup))

    def _apply_score(self, e: ScoreEvent) -> None:
        self.teacher.observe_score(e.params, e.score)
        self.scorable.set_score(e.task_id, e.score)
        self.n_scores += 1

    # -- leases (see teacher.leases) ------------------------------------------------------
    def expire_tasks(self, lease_seconds: float, now: str | None = None) -> list[ExpiredEvent]:
        """End the pending tasks issued ``lease_seconds`` or more before ``now`` (default:
        the clock); returns the ``expired`` event, or nothing if none ran out."""
        if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, int | float) or (
            not lease_seconds > 0
        ):
            raise TeacherError(f"lease_seconds must be a positive number, got {lease_seconds!r}")
        ids = overdue_tasks(self.issued, now or self.clock(), lease_seconds)
        if not ids:
            return []
        seq, time = self._next()
        e = ExpiredEvent(seq, time, tuple(ids), float(lease_seconds))
        self._apply_expired(e)
        return [e]

    def _apply_expired(self, e: ExpiredEvent) -> None:
        for tid in e.task_ids:
            params = self.pending.pop(tid, None)
            self.issued.pop(tid, None)
            if params is not None:
                self.expired[tid] = params
                self.n_expired += 1

    # -- fits -----------------------------------------------------------------------------
    def install_fit(self, fit: AnyFit) -> FitEvent:
        """Install a computed fit into the teacher and return its event."""
        episode = self.teacher.n_updates_
        self.teacher.install_fit(fit)  # validates; raises before any book-keeping
        seq, time = self._next()
        e = FitEvent(seq, time, episode, fit)
        self.n_fits += 1
        self.last_fit_time = time
        return e

    # -- evaluations ----------------------------------------------------------------------
    def record_evaluations(self, evaluations: Sequence[EvaluationIn]) -> list[EvaluationEvent]:
        """Store test episodes (validated as a whole first); never fed to the teacher."""
        parsed = check_evaluations(evaluations, self.teacher.space, self.evaluated)
        out = []
        thr = self.config.mastery_threshold
        for params, ret, ev in parsed:
            seq, time = self._next()
            e = EvaluationEvent(seq, time, params, ret, ev.test_set, ev.step, ev.worker,
                                None if thr is None else ret > thr)
            self._apply_evaluation(e)
            out.append(e)
        return out

    def _apply_evaluation(self, e: EvaluationEvent) -> None:
        self.n_evaluations += 1
        key = evaluation_key(e.test_set, e.step, e.worker, e.params)
        if key is not None:
            self.evaluated[key] = e.episode_return
        if e.mastered is not None:
            cell = self.mastery.setdefault((e.test_set, e.step), [0, 0])
            cell[0] += int(e.mastered)
            cell[1] += 1

    def mastery_summary(self) -> list[dict[str, Any]]:
        """% mastered per (test_set, step), in order of first appearance."""
        return [
            {"test_set": ts, "step": step, "evaluated": n, "mastered": m,
             "mastery_pct": 100.0 * m / n}
            for (ts, step), (m, n) in self.mastery.items()
        ]

    def latest_mastery(self) -> float | None:
        summary = self.mastery_summary()
        return summary[-1]["mastery_pct"] if summary else None

    # -- replay ---------------------------------------------------------------------------
    def apply(self, e: Event) -> None:
        """Apply one logged event (the next seq) exactly as it happened live."""
        if e.seq != self.seq + 1:
            raise TeacherError(f"event seq must be {self.seq + 1}, got {e.seq}")
        if isinstance(e, CreatedEvent):
            raise TeacherError("a 'created' event can only be the first event")
        self.seq = e.seq
        if isinstance(e, TaskEvent):
            s = self.teacher.sample()
            got = self.teacher.space.to_dict(s.task)
            if got != e.params or s.origin != e.origin or s.seed != e.seed:
                raise ReplayDivergedError(
                    f"replay diverged at seq {e.seq}: the log has task {e.params} "
                    f"({e.origin}, seed {e.seed}), the teacher sampled {got} ({s.origin}, "
                    f"seed {s.seed})"
                )
            self._apply_task(e)
        elif isinstance(e, ResultEvent):
            self._apply_result(e)
        elif isinstance(e, EvaluationEvent):
            self._apply_evaluation(e)
        elif isinstance(e, ExpiredEvent):
            self._apply_expired(e)
        elif isinstance(e, ScoreEvent):
            self._apply_score(e)
        elif isinstance(e, FitEvent):
            self.teacher.install_fit(e.fit)
            self.n_fits += 1
            self.last_fit_time = e.time

    @classmethod
    def from_events(
        cls,
        events: Iterable[Event],
        *,
        until_seq: int | None = None,
        fit_mode: str = "defer",
        task_id_prefix: str = "t",
        clock: Callable[[], str] = utc_now,
    ) -> Curriculum:
        """Rebuild a curriculum from its log (optionally only up to ``until_seq``)."""
        it = iter(events)
        first = next(it, None)
        if not isinstance(first, CreatedEvent) or first.seq != 1:
            raise TeacherError("an event log must start with the 'created' event (seq 1)")
        cur = cls(first.config, fit_mode=fit_mode, task_id_prefix=task_id_prefix, clock=clock)
        cur.seq = 1
        for e in it:
            if until_seq is not None and e.seq > until_seq:
                break
            cur.apply(e)
        return cur

    # -- snapshots (teacher/_snapshot.py) -----------------------------------------------
    STATE_FORMAT_VERSION = _snapshot.STATE_FORMAT_VERSION

    def state_dict(self) -> dict[str, Any]:
        """The whole curriculum after event ``seq`` (configuration, teacher and books) as
        a JSON-serialisable value that shares nothing mutable with it."""
        return _snapshot.write(self)

    @classmethod
    def from_state_dict(
        cls,
        state: dict[str, Any],
        *,
        fit_mode: str = "defer",
        task_id_prefix: str = "t",
        clock: Callable[[], str] = utc_now,
    ) -> Curriculum:
        """The curriculum ``state`` describes; continuing it equals continuing the live
        one. Raises TeacherError naming the problem if the state is malformed."""
        state = _snapshot.upgrade(state, clock)
        try:
            config = CurriculumConfig.from_json(state["config"])
            cur = cls(config, fit_mode=fit_mode, task_id_prefix=task_id_prefix, clock=clock)
            _snapshot.read(cur, state)
        except TeacherError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TeacherError(
                f"curriculum state is malformed: {type(exc).__name__}: {exc}"
            ) from None
        return cur

    def counts(self) -> dict[str, int]:
        return {
            "tasks": self.n_tasks, "results": self.n_results, "pending": len(self.pending),
            "expired": self.n_expired,
            "evaluations": self.n_evaluations, "fits": self.n_fits, "scores": self.n_scores,
        }


def replay(events: Iterable[Event], *, until_seq: int | None = None) -> Teacher:
    """Rebuild the teacher of a logged curriculum exactly, installing logged fits at their
    recorded positions; raises ReplayDivergedError if a logged task is not reproduced."""
    return Curriculum.from_events(events, until_seq=until_seq).teacher
