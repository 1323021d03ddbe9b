"""The core every newer teacher builds on: per-episode scores (with the result or late),
environment seeds chosen with a task, and fits that are not Gaussian mixtures (FitJob ->
ArrayFit), all logged and replayed exactly.

The teacher here is a small one written against the public hooks, registered for the test
the way a user adds a teacher: it draws a seed with each task, keeps every score it is
given, and fits (every 3 results) the mean of those scores, which shifts its tasks."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

from teacher import (
    SCHEMA_VERSION,
    ArrayFit,
    Curriculum,
    CurriculumConfig,
    FitResult,
    InvalidReturnError,
    ResultConflictError,
    ResultIn,
    ScoreIn,
    StateMismatchError,
    TaskSpace,
    TeacherError,
    UnknownTaskIdError,
    _arrays,
    event_to_json,
    fit_from_json,
    make_teacher,
    read_jsonl,
    registry,
    run_fit,
)
from teacher._fit import derive_seed
from teacher.base import Teacher
from teacher.errors import FitError

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})


@dataclass(frozen=True)
class MeanScoreJob:
    fit_index: int
    episode: int
    seed: int
    scores: tuple[float, ...]

    def run(self) -> ArrayFit:
        jitter = np.random.default_rng(self.seed).uniform(0.0, 1e-3)
        return ArrayFit("score-keeper", self.fit_index, self.seed,
                        {"shift": np.array([np.mean(self.scores) % 0.5 + jitter])},
                        {"n": len(self.scores)})


class ScoreKeeper(Teacher):
    name: ClassVar[str] = "score-keeper"

    def __init__(self, space: TaskSpace, *, random_state: int | None = None,
                 reward_bounds: tuple[float, float] | None = None):
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        self.scores_: list[list[Any]] = []  # [kind, task, score]
        self.shift_ = 0.0
        self.fit_index_ = 0

    def _sample(self) -> tuple[np.ndarray, str, int]:
        task = self.space.clip(self.space.uniform(self._rng) * 0.5 + self.shift_)
        return task, f"u{self.fit_index_}", int(self._rng.integers(0, 2**31 - 1))

    def _observe(self, task, reward, raw_return, score):
        self.scores_.append(["result", task.tolist(), score])
        return None

    def _observe_score(self, task, score):
        self.scores_.append(["late", task.tolist(), score])

    @property
    def pending_fit(self) -> MeanScoreJob | None:
        due = self.n_updates_ // 3
        if due <= self.fit_index_:
            return None
        known = tuple(s for _, _, s in self.scores_ if s is not None) or (0.0,)
        return MeanScoreJob(due, self.n_updates_, derive_seed(self.entropy_, 1, due), known)

    def install_fit(self, result):
        if not isinstance(result, ArrayFit) or result.kind != self.name:
            raise StateMismatchError(f"not a {self.name} fit: {result!r}")
        self.shift_ = float(result.arrays["shift"][0])
        self.fit_index_ = result.fit_index

    @property
    def installed_fit_index(self) -> int:
        return self.fit_index_

    def _get_state(self):
        return {"scores": self.scores_, "shift": self.shift_, "fit_index": self.fit_index_}

    def _set_state(self, state):
        self.scores_ = state["scores"]
        self.shift_ = state["shift"]
        self.fit_index_ = state["fit_index"]


@pytest.fixture
def keeper(monkeypatch):
    monkeypatch.setitem(registry.TEACHERS, ScoreKeeper.name, ScoreKeeper)
    return CurriculumConfig(name="k", teacher=ScoreKeeper.name, space=SPACE, seed=3,
                            reward_bounds=(0.0, 1.0))


def drive(cur: Curriculum, rounds: int = 8) -> list:
    events = [cur.created_event()]
    for r in range(rounds):
        tasks = cur.issue_tasks(2)
        events += tasks
        first, second = tasks
        events += cur.report([ResultIn(first.task_id, 0.1 * r, score=0.5 + r),
                              ResultIn(second.task_id, 0.2)]).events
        events += cur.report_scores([ScoreIn(second.task_id, float(r))]).events
    return events


def test_scores_seeds_and_array_fits_are_logged_and_replay_exactly(keeper):
    live = Curriculum(keeper)
    events = drive(live)
    logged = [json.loads(json.dumps(event_to_json(e))) for e in events]
    tasks = [d for d in logged if d["type"] == "task"]
    assert all(isinstance(d["seed"], int) for d in tasks)
    assert len({d["seed"] for d in tasks}) == len(tasks)
    assert [d["score"] for d in logged if d["type"] == "result" and "score" in d] == [
        0.5 + r for r in range(8)]
    assert [d["score"] for d in logged if d["type"] == "score"] == [float(r) for r in range(8)]
    fits = [d for d in logged if d["type"] == "fit"]
    assert [f["fit"]["kind"] for f in fits] == ["score-keeper"] * 5
    assert {t["origin"] for t in tasks} == {f"u{i}" for i in range(5)}  # fits change sampling
    # the teacher saw every score, with its result or late, in log order
    seen = live.teacher.scores_
    assert [k for k, _, _ in seen].count("late") == 8
    assert [s for k, _, s in seen if k == "result"][:2] == [0.5, None]
    assert live.counts()["scores"] == 8

    back = Curriculum.from_events(read_jsonl([json.dumps(d) for d in logged]))
    assert back.state_dict() == live.state_dict()
    restored = Curriculum.from_state_dict(json.loads(json.dumps(live.state_dict())))
    following = [(e.params, e.seed) for e in live.issue_tasks(3)]
    for cur in (back, restored):  # continuing equals never stopping, seeds included
        assert [(e.params, e.seed) for e in cur.issue_tasks(3)] == following


def test_a_changed_seed_in_the_log_is_a_divergence(keeper):
    events = drive(Curriculum(keeper), rounds=2)
    logged = [event_to_json(e) for e in events]
    task = next(d for d in logged if d["type"] == "task")
    task["seed"] += 1
    with pytest.raises(TeacherError, match="seed"):
        Curriculum.from_events(read_jsonl([json.dumps(d) for d in logged]))


def test_late_scores_are_idempotent_validated_as_a_whole_and_bounded(keeper):
    cur = Curriculum(keeper)
    cur.created_event()
    a, b, c = cur.issue_tasks(3)
    cur.report([ResultIn(a.task_id, 0.5, score=2.0), ResultIn(b.task_id, 0.5)])
    before = cur.state_dict()
    cases = [
        ([ScoreIn(b.task_id, 1.0), ScoreIn(a.task_id, 3.0)], ResultConflictError,
         r"scores\[1\]\.task_id 't2' already has score 2\.0, got 3\.0"),
        ([ScoreIn(c.task_id, 1.0)], TeacherError, "'t4' has no result yet"),
        ([ScoreIn("t99", 1.0)], UnknownTaskIdError, "'t99' was never issued"),
        ([ScoreIn(b.task_id, float("nan"))], InvalidReturnError,
         r"scores\[0\]\.score must be a finite number, got nan"),
        ([ScoreIn(b.task_id, 1.0), ScoreIn(b.task_id, 2.0)], ResultConflictError,
         r"scores\[1\]\.task_id 't3' already has score 1\.0"),
    ]
    for scores, error, message in cases:
        with pytest.raises(error, match=message):
            cur.report_scores(scores)
        assert cur.state_dict() == before  # nothing applied
    out = cur.report_scores([ScoreIn(b.task_id, 1.0), ScoreIn(a.task_id, 2.0)])
    assert (out.accepted, out.duplicates, len(out.events)) == (1, 1, 1)
    again = cur.report_scores([ScoreIn(b.task_id, 1.0)])
    assert (again.accepted, again.duplicates, again.events) == (0, 1, [])

    class Small(Curriculum):
        SCORABLE_RESULTS = 2

    small = Small(keeper)
    small.created_event()
    ts = small.issue_tasks(3)
    small.report([ResultIn(t.task_id, 0.1) for t in ts])
    with pytest.raises(TeacherError, match="older than the newest 2 results"):
        small.report_scores([ScoreIn(ts[0].task_id, 1.0)])
    assert small.report_scores([ScoreIn(ts[2].task_id, 1.0)]).accepted == 1


def test_a_result_score_must_be_finite_and_teachers_without_scores_ignore_them():
    cfg = CurriculumConfig(name="a", teacher="alp-gmm", space=SPACE, seed=5,
                           teacher_params={"fit_rate": 10}, reward_bounds=(0.0, 1.0))
    with_scores, without = Curriculum(cfg), Curriculum(cfg)
    for cur, scored in ((with_scores, True), (without, False)):
        cur.created_event()
        for i in range(30):
            (t,) = cur.issue_tasks(1)
            cur.report([ResultIn(t.task_id, 0.01 * i, score=float(i) if scored else None)])
    assert with_scores.teacher.state_dict() == without.teacher.state_dict()
    (t,) = with_scores.issue_tasks(1)
    with pytest.raises(InvalidReturnError, match=r"result\.score must be a finite number"):
        with_scores.report([ResultIn(t.task_id, 0.5, score=float("inf"))])
    teacher = make_teacher("random", SPACE, random_state=0)
    with pytest.raises(InvalidReturnError, match="score must be a finite number, got 'x'"):
        teacher.observe([0.5, 0.5], 1.0, score="x")
    with pytest.raises(InvalidReturnError, match="score must be a finite number"):
        teacher.observe_score([0.5, 0.5], float("nan"))


def test_version_3_events_and_states_load(keeper):
    cfg = CurriculumConfig(name="a", teacher="alp-gmm", space=SPACE, seed=5,
                           teacher_params={"fit_rate": 10}, reward_bounds=(0.0, 1.0))
    live = Curriculum(cfg)
    events = [live.created_event()]
    for i in range(25):
        tasks = live.issue_tasks(1)
        events += tasks + live.report([ResultIn(tasks[0].task_id, 0.02 * i)]).events
    v3 = []
    for e in events:
        d = event_to_json(e)
        assert "seed" not in d and "score" not in d and "kind" not in d.get("fit", {})
        v3.append(json.dumps({**d, "schema_version": 3}))
    assert SCHEMA_VERSION == 5
    assert Curriculum.from_events(read_jsonl(v3)).state_dict() == live.state_dict()
    state = live.state_dict()
    v3_state = {k: v for k, v in state.items() if k != "scorable"} | {
        "format_version": 3, "counts": {k: v for k, v in state["counts"].items() if k != "scores"}}
    assert Curriculum.from_state_dict(v3_state).state_dict() == state | {"scorable": []}


def test_array_fits_are_exact_and_refuse_what_cannot_be_installed():
    fit = ArrayFit("spdl", 2, 11, {"mean": np.array([0.1, 1 / 3]),
                                   "cov": np.eye(2) * np.pi}, {"reason": "ok", "kl": 0.05})
    back = fit_from_json(json.loads(json.dumps(fit.to_json())))
    assert isinstance(back, ArrayFit) and back.kind == "spdl" and back.values == fit.values
    for name, arr in fit.arrays.items():
        assert back.arrays[name].tobytes() == arr.tobytes()
        assert not back.arrays[name].flags.writeable
    with pytest.raises(FitError, match="array 'mean' is not finite"):
        ArrayFit("spdl", 1, 0, {"mean": np.array([np.nan])})
    with pytest.raises(FitError, match="value 'kl' is not finite"):
        ArrayFit("spdl", 1, 0, {}, {"kl": float("inf")})
    with pytest.raises(StateMismatchError, match="fit kind must be a teacher's name"):
        ArrayFit("gmm", 1, 0)
    for bad in ({"kind": "spdl", "fit_index": 1, "seed": 0, "arrays": {"m": {"f8": "!"}}},
                {"kind": "spdl", "fit_index": 1, "arrays": {}},
                {"kind": "spdl", "fit_index": 1, "seed": 0, "arrays": {}, "values": {"x": []}}):
        with pytest.raises(StateMismatchError, match="malformed fit result"):
            fit_from_json(bad)
    teacher = make_teacher("alp-gmm", SPACE, random_state=0, fit_rate=5)
    for i in range(5):
        teacher.observe([0.1 * i, 0.5], 0.1 * i)
    mixture = run_fit(teacher.pending_fit)
    assert isinstance(mixture, FitResult)
    assert isinstance(fit_from_json(json.loads(json.dumps(mixture.to_json()))), FitResult)
    with pytest.raises(StateMismatchError, match="fit must be a FitResult"):
        teacher.install_fit(fit)
    with pytest.raises(StateMismatchError, match="teacher 'random' does not fit"):
        make_teacher("random", SPACE).install_fit(fit)


def test_float32_values_log_as_f4_and_every_other_array_as_f8_all_bit_exact():
    """Arrays whose every value is a float32 (networks' weights) take the "f4" payload,
    half the bytes; any other (a float64 mean, NaN, inf, a value float32 would round)
    keeps "f8", which every earlier log holds and still reads."""
    f32 = np.array([[0.1, -0.0, 3e38], [1e-45, -2.5, 0.0]], dtype=np.float32).astype(float)
    cases = {"f4": [f32, np.arange(6.0), np.array([-0.0])],
             "f8": [np.array([0.1, 0.5]), np.array([1.0, np.nan]), np.array([np.inf]),
                    np.array([1e-320]), np.array([1e300]), np.empty((0, 2)),
                    f32 + 1e-12]}
    for key, arrays in cases.items():
        for arr in arrays:
            enc = _arrays.encode(arr)
            assert set(enc) == {"shape", key}, arr
            back = _arrays.decode(json.loads(json.dumps(enc)))
            assert back.dtype == np.float64 and back.tobytes() == arr.tobytes()
    assert len(_arrays.encode(f32)["f4"]) * 2 == len(_arrays.encode(f32 + 1e-12)["f8"])
    old = {"shape": [2, 3], "f8": base64.b64encode(f32.astype("<f8").tobytes()).decode()}
    assert _arrays.decode(old).tobytes() == f32.tobytes()  # what schema 4 wrote
    with pytest.raises(StateMismatchError, match="malformed fit result"):
        fit_from_json({"kind": "spdl", "fit_index": 1, "seed": 0,
                       "arrays": {"m": {"shape": [3], "f4": "AAAAAA=="}}})
