"""The event-log format, the Curriculum state machine and exact replay."""

import dataclasses
import json

import numpy as np
import pytest

from teacher import (
    SCHEMA_VERSION,
    Curriculum,
    CurriculumConfig,
    EvaluationIn,
    EventLogError,
    InvalidReturnError,
    InvalidTaskError,
    JsonlWriter,
    ReplayDivergedError,
    ResultConflictError,
    ResultIn,
    TaskSpace,
    TeacherError,
    ToyStudent,
    UnknownTaskIdError,
    event_to_json,
    make_teacher,
    read_jsonl,
    replay,
)

SPACE = TaskSpace({"x0": (0.0, 1.0), "x1": (0.0, 1.0)})


def config(teacher="alp-gmm", **params):
    return CurriculumConfig(
        name="toy", teacher=teacher, space=SPACE,
        teacher_params=params or ({"fit_rate": 30} if teacher == "alp-gmm" else {}),
        seed=7, reward_bounds=(0.0, 1.0), mastery_threshold=0.5,
    )


#: Small networks and frequent fits, so a short log holds several fits.
SMALL = {"setter-solver": {"update_frequency": 20, "setter_hidden_size": 4,
                           "judge_hidden_sizes": [8], "sample_batch": 8},
         "plr": {"buffer_size": 20},
         "spdl": {"update_frequency": 30, "update_offset": 30, "alpha_offset": 2}}


def run(cur: Curriculum, n_rounds: int, batch: int = 3, seed: int = 0):
    """Drive a curriculum with the toy student; results come back out of order."""
    student = ToyStudent(random_state=seed)
    rng = np.random.default_rng(seed)
    events = [cur.created_event()] if cur.seq == 0 else []
    for _ in range(n_rounds):
        tasks = cur.issue_tasks(batch)
        events += tasks
        order = rng.permutation(len(tasks))
        results = [ResultIn(tasks[i].task_id, student.episode(list(tasks[i].params.values())),
                            length=10, worker="w0") for i in order]
        events += cur.report(results).events
    return events


def lines(events):
    return [json.dumps(event_to_json(e)) for e in events]


@pytest.mark.parametrize(
    "teacher", ["alp-gmm", "alp-gmm+", "covar-gmm", "riac", "random", "oracle", "adr", "plr",
                "setter-solver", "spdl"]
)
def test_replay_rebuilds_the_live_teacher_exactly(teacher):
    live = Curriculum(config(teacher, **SMALL.get(teacher, {})))
    events = run(live, 100 if teacher == "alp-gmm+" else 40)  # alp-gmm+: past region splits
    events += live.record_evaluations([EvaluationIn({"x0": 0.1, "x1": 0.1}, 0.9, "u", 100)])
    parsed = read_jsonl(lines(events))
    rebuilt = Curriculum.from_events(parsed)
    assert rebuilt.counts() == live.counts()
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())
    assert [rebuilt.teacher.sample_task().tolist() for _ in range(20)] == [
        live.teacher.sample_task().tolist() for _ in range(20)
    ]
    if teacher in ("alp-gmm", "setter-solver", "spdl"):
        assert live.n_fits >= 3
    if teacher in ("setter-solver", "spdl"):  # float32 weights log as f4; spdl's float64 f8
        fits = [line for line in lines(events) if '"type": "fit"' in line]
        key = {"setter-solver": '"f4"', "spdl": '"f8"'}[teacher]
        assert fits and all(key in f and ('"f4"' in f) != ('"f8"' in f) for f in fits)
    if teacher == "alp-gmm+":
        assert len(live.teacher.state_dict()["state"]["regions"]["leaves"]) > 1
    if teacher == "adr":
        assert live.teacher.n_expanded_ >= 2  # the box moved during the log
    if teacher == "plr":  # replayed levels carry the seeds they were issued with
        tasks = [e for e in events if e.type == "task"]
        first = {tuple(e.params.values()): e.seed for e in tasks if e.origin == "new"}
        replays = [e for e in tasks if e.origin.startswith("replay:")]
        assert len(replays) > 20
        assert all(first[tuple(e.params.values())] == e.seed for e in replays)


def test_replay_until_a_point_matches_the_live_state_then():
    live = Curriculum(config())
    events = run(live, 11)  # 33 results: past the first fit
    state_then = json.dumps(live.teacher.state_dict())
    mid = live.seq
    events += run(live, 10)
    assert json.dumps(replay(events, until_seq=mid).state_dict()) == state_then


def test_replay_detects_divergence():
    live = Curriculum(config())
    events = run(live, 5)
    first_task = next(i for i, e in enumerate(events) if e.type == "task")
    d = event_to_json(events[first_task])
    d["params"]["x0"] = 0.123456
    tampered = read_jsonl(lines(events[:first_task]) + [json.dumps(d)])
    with pytest.raises(ReplayDivergedError, match="diverged at seq 2"):
        replay(tampered)


def test_deferred_fits_replay_at_their_logged_position():
    live = Curriculum(config(), fit_mode="defer")
    events = [live.created_event()]
    student = ToyStudent(random_state=0)
    for i in range(100):
        (t,) = live.issue_tasks(1)
        events.append(t)
        ret = student.episode(list(t.params.values()))
        events += live.report([ResultIn(t.task_id, ret)]).events
        if live.teacher.pending_fit is not None and i % 7 == 0:  # installs late
            events.append(live.install_fit(live.teacher.pending_fit.run()))
    assert live.n_fits >= 2
    fit_events = [e for e in events if e.type == "fit"]
    assert any(e.episode % 30 for e in fit_events)  # installed after the due point
    rebuilt = Curriculum.from_events(read_jsonl(lines(events)))
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())


def test_results_are_all_or_nothing_and_idempotent():
    cur = Curriculum(config())
    cur.created_event()
    a, b = cur.issue_tasks(2)
    before = (cur.seq, cur.counts(), json.dumps(cur.teacher.state_dict()))
    bad_batches = [
        ([ResultIn(a.task_id, 0.5), ResultIn("nope", 0.1)], UnknownTaskIdError,
         r"results\[1\].task_id 'nope' was never issued"),
        ([ResultIn(a.task_id, 0.5), ResultIn(b.task_id, float("nan"))], InvalidReturnError,
         r"results\[1\].return must be a finite number"),
        ([ResultIn(a.task_id, 0.5), ResultIn(a.task_id, 0.6)], ResultConflictError,
         "already reported with return 0.5"),
        ([ResultIn(a.task_id, 0.5, length=-1)], TeacherError, "length must be a non-negative"),
    ]
    for batch, error, fragment in bad_batches:
        with pytest.raises(error, match=fragment):
            cur.report(batch)
        assert (cur.seq, cur.counts(), json.dumps(cur.teacher.state_dict())) == before
    out = cur.report([ResultIn(a.task_id, 0.5)])
    assert (out.accepted, out.duplicates) == (1, 0)
    again = cur.report([ResultIn(a.task_id, 0.5), ResultIn(b.task_id, 0.25)])
    assert (again.accepted, again.duplicates) == (1, 1)
    assert cur.counts()["results"] == 2 and cur.counts()["pending"] == 0
    with pytest.raises(ResultConflictError):
        cur.report([ResultIn(a.task_id, 0.7)])


def test_evaluations_are_summarised_and_never_fed_to_the_teacher():
    cur = Curriculum(config())
    cur.created_event()
    state = json.dumps(cur.teacher.state_dict())
    evs = cur.record_evaluations([
        EvaluationIn({"x0": 0.1, "x1": 0.2}, 0.9, "u50", 1000),
        EvaluationIn([0.3, 0.4], 0.1, "u50", 1000),
        EvaluationIn([0.3, 0.4], 0.8, "u50", 2000),
    ])
    assert [e.mastered for e in evs] == [True, False, True]
    assert json.dumps(cur.teacher.state_dict()) == state
    assert cur.mastery_summary()[0]["mastery_pct"] == 50.0
    assert cur.latest_mastery() == 100.0
    with pytest.raises(InvalidTaskError, match=r"evaluations\[1\].params: x1 must be in"):
        cur.record_evaluations([EvaluationIn([0.1, 0.1], 0.1), EvaluationIn([0.1, 2.0], 0.1)])
    assert cur.n_evaluations == 3


def test_jsonl_writer_and_reader_round_trip(tmp_path):
    cur = Curriculum(config())
    events = run(cur, 12)
    path = tmp_path / "log.jsonl"
    with JsonlWriter(path) as w:
        w.write_many(events)
    back = read_jsonl(path)
    assert [event_to_json(e) for e in back] == [event_to_json(e) for e in events]
    assert back[0].config == cur.config


def test_reader_names_the_bad_line_and_keeps_what_came_before(tmp_path):
    cur = Curriculum(config())
    good = lines(run(cur, 3))
    cases = {
        "half-written": good[:5] + [good[5][: len(good[5]) // 2]],
        "schema": good[:5] + [good[5].replace(f'"schema_version": {SCHEMA_VERSION}',
                                                      '"schema_version": 9')],
        "missing": good[:5] + [json.dumps({k: v for k, v in json.loads(good[5]).items()
                                           if k != "time"})],
    }
    messages = {"half-written": "line 6: not valid JSON", "schema": "line 6: unknown schema",
                "missing": "line 6: missing field 'time'"}
    for name, content in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(content) + "\n")
        with pytest.raises(EventLogError, match=messages[name]) as info:
            read_jsonl(path)
        assert info.value.line == 6
        assert len(info.value.valid_events) == 5


def test_reader_ignores_unknown_fields_and_requires_created_first():
    cur = Curriculum(config())
    good = [json.loads(x) for x in lines(run(cur, 2))]
    good[1]["future_field"] = {"x": 1}
    assert len(read_jsonl([json.dumps(d) for d in good])) == len(good)
    with pytest.raises(EventLogError, match="line 1: .*'created'"):
        read_jsonl([json.dumps({**good[1], "seq": 1})])
    with pytest.raises(EventLogError, match="seq must be 3"):
        read_jsonl([json.dumps(good[0]), json.dumps(good[1]), json.dumps(good[3])])


def test_config_rejects_reserved_and_invalid_parameters():
    bad = CurriculumConfig("x", "alp-gmm", SPACE, {"random_state": 3})
    with pytest.raises(TeacherError, match="use the curriculum's 'seed'|seed"):
        Curriculum(bad)
    with pytest.raises(TeacherError, match="unknown hyper-parameter 'bogus'"):
        Curriculum(CurriculumConfig("x", "alp-gmm", SPACE, {"bogus": 1}))
    cfg = config()
    assert CurriculumConfig.from_json(json.loads(json.dumps(cfg.to_json()))) == cfg


def test_task_ids_use_the_prefix_and_are_unique():
    cur = Curriculum(config(), task_id_prefix="c42-")
    cur.created_event()
    ids = [t.task_id for t in cur.issue_tasks(50)]
    assert len(set(ids)) == 50 and all(i.startswith("c42-") for i in ids)
    with pytest.raises(TeacherError, match="count must be a positive integer"):
        cur.issue_tasks(0)


def test_make_teacher_from_config_matches_direct_construction():
    t = config().make_teacher()
    direct = make_teacher("alp-gmm", SPACE, fit_rate=30, random_state=7, reward_bounds=(0, 1))
    assert t.sample_task().tolist() == direct.sample_task().tolist()


def test_curriculum_state_dict_continues_like_the_live_one():
    live = Curriculum(config())
    run(live, 15)
    state = json.loads(json.dumps(live.state_dict()))
    restored = Curriculum.from_state_dict(state, fit_mode="sync")
    assert restored.counts() == live.counts() and restored.pending == live.pending
    more_live, more_restored = run(live, 10, seed=1), run(restored, 10, seed=1)
    def strip(events):
        return [{k: v for k, v in event_to_json(e).items() if k != "time"} for e in events]

    assert more_live and strip(more_live) == strip(more_restored)
    with pytest.raises(TeacherError, match="format_version"):
        Curriculum.from_state_dict({**state, "format_version": 7})
    with pytest.raises(TeacherError, match="malformed"):
        Curriculum.from_state_dict({**state, "pending": None})


def test_a_seedless_curriculum_records_the_entropy_it_drew():
    cfg = CurriculumConfig("x", "alp-gmm", SPACE, {"fit_rate": 10}, seed=None)
    live = Curriculum(cfg)
    assert isinstance(live.config.seed, int)
    events = run(live, 8)
    assert events[0].config.seed == live.config.seed
    rebuilt = Curriculum.from_events(read_jsonl(lines(events)))
    assert rebuilt.teacher.sample_task().tolist() == live.teacher.sample_task().tolist()


@pytest.mark.parametrize("teacher",
                         ["alp-gmm", "alp-gmm+", "covar-gmm", "riac", "oracle", "adr", "plr",
                          "setter-solver", "spdl"])
def test_the_created_event_writes_out_every_hyper_parameter(teacher):
    """A log records the defaults in effect, so a later change of a default cannot change
    how it replays; a log from before (only the given ones) still replays."""
    given = {"fit_rate": 30, "random_task_ratio": np.float64(0.25)} if teacher == "alp-gmm" else {}
    live = Curriculum(config(teacher, **given))
    events = run(live, 20)
    params = events[0].config.teacher_params
    expected = make_teacher(teacher, SPACE).get_params()
    del expected["random_state"], expected["reward_bounds"]
    assert params == {**expected, **given}
    assert json.loads(lines(events[:1])[0])["config"]["teacher_params"] == params
    assert all(type(v) is not np.float64 for v in params.values())  # plain JSON values
    assert live.config.resolved() == live.config  # resolving twice changes nothing
    rebuilt = Curriculum.from_events(read_jsonl(lines(events)))
    assert rebuilt.teacher.state_dict() == live.teacher.state_dict()
    # the same log as written before defaults were recorded
    old_created = event_to_json(events[0])
    old_created["config"]["teacher_params"] = dict(given)
    old = [json.dumps(old_created), *lines(events[1:])]
    rebuilt = Curriculum.from_events(read_jsonl(old))
    assert rebuilt.config == live.config
    assert rebuilt.teacher.state_dict() == live.teacher.state_dict()


def test_a_log_written_out_before_a_hyper_parameter_existed_replays_as_it_ran():
    """A created event an older version wrote out in full lacks the hyper-parameters added
    since (here ALP-GMM+'s region_ratio): it replays with the value that version ran
    with, while a configuration naming only some hyper-parameters takes today's."""
    live = Curriculum(config("alp-gmm+", region_ratio=0.0))
    events = run(live, 600)
    created = event_to_json(events[0])
    del created["config"]["teacher_params"]["region_ratio"]
    del created["config"]["params_version"]  # written before versions existed
    rebuilt = Curriculum.from_events(read_jsonl([json.dumps(created), *lines(events[1:])]))
    assert rebuilt.teacher.state_dict() == live.teacher.state_dict()
    assert rebuilt.teacher.get_params()["region_ratio"] == 0.0
    assert config("alp-gmm+", fit_rate=100).make_teacher().get_params()["region_ratio"] == 0.5
    names = set(make_teacher("alp-gmm+", SPACE).get_params()) - {"random_state", "reward_bounds"}
    everything = {k: v for k, v in created["config"]["teacher_params"].items() if k in names}
    assert set(everything) == names - {"region_ratio"}


def test_a_schema_4_setter_solver_log_with_f8_fits_replays_and_continues_as_it_ran():
    """A log of schema 4 (params_version 1: float64 fits, logged "f8") loads, replays to
    the live state and keeps fitting in float64, as that version did."""
    live = Curriculum(config("setter-solver", **SMALL["setter-solver"], fit_float32=False,
                             setter_start="reference"))
    events = run(live, 34)
    old = [event_to_json(e) for e in events]
    for d in old:
        d["schema_version"] = 4
    del old[0]["config"]["teacher_params"]["fit_float32"]
    del old[0]["config"]["teacher_params"]["setter_start"]  # version 3's
    old[0]["config"]["params_version"] = 1
    old_lines = [json.dumps(d) for d in old]
    fits = [line for line in old_lines if '"type": "fit"' in line]
    assert len(fits) >= 3 and all('"f8"' in f and '"f4"' not in f for f in fits)
    rebuilt = Curriculum.from_events(read_jsonl(old_lines), fit_mode="sync")
    assert rebuilt.teacher.get_params()["fit_float32"] is False
    assert rebuilt.teacher.get_params()["setter_start"] == "reference"
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())
    run(live, 14, seed=1)
    run(rebuilt, 14, seed=1)
    assert rebuilt.teacher.installed_fit_index == live.teacher.installed_fit_index >= 7
    assert json.dumps(rebuilt.teacher.state_dict()) == json.dumps(live.teacher.state_dict())


def test_the_environment_labels_travel_in_the_created_event_and_old_logs_load():
    env = {"id": "StumpTracks-v1", "walker": "quadruped"}
    cfg = CurriculumConfig(
        name="toy", teacher="random", space=SPACE, seed=1, environment=env
    )
    cur = Curriculum(cfg)
    events = run(cur, 2)
    (created,) = read_jsonl(lines(events[:1]))
    assert created.config.environment == env
    assert Curriculum.from_events(read_jsonl(lines(events))).config == cur.config
    # A log written before the field existed has no key: it loads, environment unknown.
    old = json.loads(lines(events[:1])[0])
    del old["config"]["environment"]
    (loaded,) = read_jsonl([json.dumps(old)])
    assert loaded.config.environment is None
    assert dataclasses.replace(loaded.config, environment=env) == cur.config
    with pytest.raises(TeacherError, match="environment must be a mapping of strings"):
        CurriculumConfig(name="x", teacher="random", space=SPACE, environment={"id": 1})
