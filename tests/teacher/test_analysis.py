"""teacher.analysis: loading JSON-lines and Parquet logs into tables, and bad logs."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from teacher import EventLogError, event_to_json
from teacher.analysis import (
    AnalysisError,
    CurriculumLog,
    EventLogWarning,
    events_from_parquet,
    events_to_parquet,
    load_log,
    write_toy_log,
)


def as_json(events):
    return [event_to_json(e) for e in events]


def test_jsonl_log_loads_into_tables(toy_run):
    log = load_log(toy_run.path)
    assert as_json(log.events) == as_json(toy_run.events)
    assert log.config == toy_run.config.resolved()  # defaults written out
    kinds = [e.type for e in toy_run.events]
    n = kinds.count("result")
    assert log.counts() == {
        "events": len(kinds), "tasks": kinds.count("task"), "results": n,
        "evaluations": kinds.count("evaluation"), "fits": kinds.count("fit"),
    }
    assert len(log.fits) >= 2 and len(log.evaluations) >= 9
    assert log.replay_error is None and log.error is None

    tasks = log.tasks
    assert list(tasks.columns) == ["seq", "time", "episode", "task_id", "origin", "component",
                                   "seed", "x0", "x1"]
    first_task = next(e for e in toy_run.events if e.type == "task")
    assert tasks.iloc[0][["task_id", "origin", "x0", "x1"]].tolist() == [
        first_task.task_id, first_task.origin, *first_task.params.values()]
    assert str(tasks["time"].dt.tz) == "UTC"
    gauss = tasks["origin"].str.startswith("gaussian:")
    assert gauss.any()
    assert (tasks.loc[gauss, "component"].astype(int).astype(str)
            == tasks.loc[gauss, "origin"].str.split(":").str[1]).all()
    assert tasks.loc[~gauss, "component"].isna().all()

    results = log.results
    assert results["episode"].tolist() == list(range(1, n + 1))
    # the ALP column is what the live teacher computed, from exact replay
    np.testing.assert_array_equal(results["alp"].to_numpy(), np.array(toy_run.alps))
    origin_of = dict(zip(tasks["task_id"], tasks["origin"], strict=True))
    assert results["origin"].tolist() == [origin_of[t] for t in results["task_id"]]
    assert (results["length"] == 7).all() and (results["worker"] == "w1").all()

    ev = log.evaluations
    assert set(ev["test_set"]) == {"grid"}
    assert ev["mastered"].tolist() == (ev["return"] > 0.75).tolist()
    assert (ev["step"] == ev["episode"] * 10).all()


def test_fit_tables_and_covariances(toy_run):
    log = load_log(toy_run.path)
    fit_events = [e for e in toy_run.events if e.type == "fit"]
    assert log.fits["fit_index"].tolist() == [e.fit.fit_index for e in fit_events]
    assert log.fits["episode"].tolist() == [e.episode for e in fit_events]
    assert log.fits["k"].tolist() == [e.fit.k for e in fit_events]
    comps = log.fit_components
    assert len(comps) == sum(e.fit.k for e in fit_events)
    assert log.coordinate_names == ("x0", "x1", "alp")
    last = fit_events[-1].fit
    rows = comps[comps["fit_index"] == last.fit_index]
    np.testing.assert_array_equal(rows[["mean_x0", "mean_x1", "mean_alp"]].to_numpy(), last.means)
    np.testing.assert_array_equal(rows["alp"].to_numpy(), last.scores)
    np.testing.assert_array_equal(log.covariance(-1), last.covariances)
    np.testing.assert_array_equal(log.covariance(last.fit_index, 1, dims=("x1", "alp")),
                                  last.covariances[1][np.ix_([1, 2], [1, 2])])
    assert log.fit_event(1).fit.fit_index == fit_events[0].fit.fit_index
    with pytest.raises(AnalysisError, match=r"fit_index 99 is not in the log; it holds fits 1\.\."):
        log.resolve_fit(99)
    with pytest.raises(AnalysisError, match="unknown dimension 'nope'"):
        log.covariance(-1, dims=("x0", "nope"))


def test_parquet_round_trip_is_lossless(toy_run, tmp_path):
    path = tmp_path / "toy.parquet"
    events_to_parquet(toy_run.events, path)
    back = load_log(path)
    assert as_json(back.events) == as_json(toy_run.events)
    jl = load_log(toy_run.path)
    for name in ("tasks", "results", "evaluations", "fits", "fit_components"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(jl, name))
    # told apart by its magic bytes, whatever the suffix; dicts are accepted too
    other = tmp_path / "toy.log"
    events_to_parquet(as_json(toy_run.events), other)
    assert as_json(load_log(other).events) == as_json(toy_run.events)
    assert as_json(events_from_parquet(other.read_bytes())) == as_json(toy_run.events)


def test_the_servers_columnar_parquet_is_read_too(toy_run, tmp_path):
    eventlog = pytest.importorskip("server.eventlog")
    from server.store.base import EventRow

    rows = [EventRow(e.seq, e.type, json.dumps(event_to_json(e))) for e in toy_run.events]
    path = tmp_path / "server.parquet"
    path.write_bytes(eventlog.to_parquet(rows, toy_run.config.space.names))
    assert as_json(load_log(path).events) == as_json(toy_run.events)


def test_analysis_and_server_write_one_parquet_layout(toy_run, tmp_path):
    import pyarrow.parquet as pq

    eventlog = pytest.importorskip("server.eventlog")
    from server.store.base import EventRow

    rows = [EventRow(e.seq, e.type, json.dumps(event_to_json(e))) for e in toy_run.events]
    served = pq.read_table(io.BytesIO(eventlog.to_parquet(rows, toy_run.config.space.names)))
    path = tmp_path / "analysis.parquet"
    events_to_parquet(toy_run.events, path)
    written = pq.read_table(path)
    assert written.schema.equals(served.schema, check_metadata=True)
    assert written.to_pylist() == served.to_pylist()


def test_the_earlier_payload_parquet_layout_is_still_read(toy_run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    head = ("seq", "type", "time", "schema_version")
    objects = as_json(toy_run.events)
    cols = {name: [d[name] for d in objects] for name in head}
    cols["payload"] = [json.dumps({k: v for k, v in d.items() if k not in head})
                       for d in objects]
    path = tmp_path / "v1.parquet"
    pq.write_table(pa.table(cols), path)
    assert as_json(load_log(path).events) == objects


def test_importing_teacher_does_not_import_pyarrow():
    code = "import sys, teacher, teacher.parquet_codec; assert 'pyarrow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_truncated_parquet_gives_a_clear_error(toy_run, tmp_path):
    path = tmp_path / "cut.parquet"
    events_to_parquet(toy_run.events, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for strict in (True, False):
        with pytest.raises(EventLogError, match=r"cut\.parquet: not a readable Parquet event "
                                                r"log \(the file may be truncated or corrupt\)"):
            load_log(path, strict=strict)


def test_bad_parquet_row_names_the_row_and_keeps_the_prefix(toy_run, tmp_path):
    rows = as_json(toy_run.events[:10])
    del rows[4]["params"]
    path = tmp_path / "bad.parquet"
    events_to_parquet(rows, path)
    with pytest.raises(EventLogError, match=r"bad\.parquet: row 5: missing field 'params'") as err:
        load_log(path)
    assert err.value.line == 5 and len(err.value.valid_events) == 4
    with pytest.warns(EventLogWarning, match="row 5"):
        log = load_log(path, strict=False)
    assert len(log.events) == 4 and log.error.line == 5


def _half_written(lines):
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return len(lines), r"not valid JSON .*half-written"


def _unknown_version(lines):
    d = json.loads(lines[30])
    d["schema_version"] = 99
    lines[30] = json.dumps(d)
    return 31, "unknown schema_version 99; this reader knows 1, 2"


def _missing_field(lines):
    i = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "result")
    d = json.loads(lines[i])
    del d["return"]
    lines[i] = json.dumps(d)
    return i + 1, "missing field 'return'"


@pytest.mark.parametrize("corrupt", [_half_written, _unknown_version, _missing_field])
def test_bad_jsonl_names_the_line_and_the_valid_prefix_still_loads(toy_run, tmp_path, corrupt):
    lines = toy_run.path.read_text().splitlines()
    line, problem = corrupt(lines)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + ("\n" if corrupt is not _half_written else ""))
    with pytest.raises(EventLogError, match=rf"bad\.jsonl: line {line}: {problem}") as err:
        load_log(path)
    assert err.value.line == line
    with pytest.warns(EventLogWarning, match=rf"line {line}: .*loaded the {line - 1} valid"):
        log = load_log(path, strict=False)
    assert as_json(log.events) == as_json(toy_run.events[: line - 1])
    assert log.error is not None and log.error.line == line
    assert len(log.tasks) == sum(e.type == "task" for e in toy_run.events[: line - 1])
    assert "cut at line" in repr(log)


def test_unreadable_inputs(tmp_path):
    with pytest.raises(EventLogError, match="cannot read the log"):
        load_log(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(EventLogError, match=r"empty\.jsonl: the log is empty"):
        load_log(tmp_path / "empty.jsonl", strict=False)
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(EventLogError, match="not a text JSON-lines log nor Parquet"):
        load_log(tmp_path / "bin.jsonl")


def test_from_events_and_the_toy_log(tmp_path):
    path = write_toy_log(tmp_path / "toy.parquet", episodes=120, fit_rate=30, eval_every=60)
    log = load_log(path)
    assert isinstance(log, CurriculumLog)
    assert log.counts()["results"] == 120 and len(log.fits) == 4 and len(log.evaluations) == 50
    again = CurriculumLog.from_events(log.events)
    pd.testing.assert_frame_equal(again.results, log.results)
    with pytest.raises(EventLogError, match="seq must be 3"):
        CurriculumLog.from_events([log.events[0], log.events[1], log.events[3]])


def test_a_log_that_does_not_replay_still_loads_with_a_warning(toy_run):
    events = list(toy_run.events)
    i = next(i for i, e in enumerate(events) if e.type == "task" and e.seq > 200)
    events[i] = dataclasses.replace(events[i], params={"x0": 0.5, "x1": 0.5})
    with pytest.warns(EventLogWarning, match=f"replay diverged at seq {events[i].seq}"):
        log = CurriculumLog.from_events(events)
    assert log.replay_error is not None and len(log.tasks) == len(load_log(toy_run.path).tasks)
    later = log.results["seq"] > events[i].seq
    assert log.results.loc[later, "alp"].isna().all()
    assert log.results.loc[~later, "alp"].notna().all()
