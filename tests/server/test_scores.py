"""Per-episode scores over HTTP: a result's optional ``score``, late scores
(``POST .../scores``), task seeds in task answers; durable like results (SQLite here,
PostgreSQL in test_postgres_store.py through :func:`check_scores_round_trip`)."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from _server_testlib import create
from fastapi.testclient import TestClient

import teacher


def _tasks(client: TestClient, cid: str, count: int) -> list[dict[str, Any]]:
    r = client.post(f"/v1/curricula/{cid}/tasks", json={"count": count})
    assert r.status_code == 200, r.text
    return list(r.json()["tasks"])


def _events(client: TestClient, cid: str) -> list[dict[str, Any]]:
    r = client.get(f"/v1/curricula/{cid}/events")
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines() if line]


def check_scores_round_trip(client: TestClient, name: str) -> str:
    """Results with and without a score, late scores (accepted, duplicate, conflicting,
    for an unknown task, for a task without a result); returns the curriculum id."""
    cid = create(client, name)
    t = _tasks(client, cid, 4)
    assert all(task["seed"] is None for task in t)  # ALP-GMM leaves seeding to the worker
    ids = [task["task_id"] for task in t]
    results = {"results": [{"task_id": ids[0], "return": 1.0, "score": 0.25},
                           {"task_id": ids[1], "return": 2.0},
                           {"task_id": ids[2], "return": 3.0}]}
    r = client.post(f"/v1/curricula/{cid}/results", json=results)
    assert r.json() == {"accepted": 3, "duplicates": 0}, r.text
    url = f"/v1/curricula/{cid}/scores"
    r = client.post(url, json={"scores": [{"task_id": ids[1], "score": 0.5}]})
    assert r.status_code == 200 and r.json() == {"accepted": 1, "duplicates": 0}, r.text
    # the same scores again (a worker's retry) are duplicates, the score sent with its
    # result included; a new one in the same batch is accepted
    again = {"scores": [{"task_id": ids[1], "score": 0.5}, {"task_id": ids[0], "score": 0.25},
                        {"task_id": ids[2], "score": 1}]}
    assert client.post(url, json=again).json() == {"accepted": 1, "duplicates": 2}
    before = _events(client, cid)
    clash = client.post(url, json={"scores": [{"task_id": ids[1], "score": 0.75}]})
    assert clash.status_code == 409 and ids[1] in clash.json()["detail"]
    assert "0.5" in clash.json()["detail"] and "0.75" in clash.json()["detail"]
    unknown = client.post(url, json={"scores": [{"task_id": ids[1], "score": 0.5},
                                                {"task_id": "nope", "score": 1.0}]})
    assert unknown.status_code == 404, unknown.text
    assert "scores[1].task_id" in unknown.json()["detail"]
    assert "never issued" in unknown.json()["detail"]
    early = client.post(url, json={"scores": [{"task_id": ids[3], "score": 1.0}]})
    assert early.status_code == 422 and "no result yet" in early.json()["detail"]
    assert _events(client, cid) == before  # refused batches store nothing
    events = [e for e in before if e["type"] in ("result", "score")]
    assert [(e["type"], e["task_id"], e.get("score")) for e in events] == [
        ("result", ids[0], 0.25), ("result", ids[1], None), ("result", ids[2], None),
        ("score", ids[1], 0.5), ("score", ids[2], 1.0)]
    assert events[3]["params"] == t[1]["params"]
    counts = client.get(f"/v1/curricula/{cid}").json()["counts"]
    assert (counts["results"], counts["scores"]) == (3, 2)
    return cid


def test_scores_and_late_scores_are_logged_once(client: TestClient) -> None:
    cid = check_scores_round_trip(client, "s")
    # the log replays to the live curriculum: the next tasks are the same
    log = teacher.read_jsonl(
        client.get(f"/v1/curricula/{cid}/events").text.splitlines())
    replayed = teacher.Curriculum.from_events(log, fit_mode="defer")
    assert replayed.counts() == {k: v for k, v in client.get(
        f"/v1/curricula/{cid}").json()["counts"].items()}
    assert [e.params for e in replayed.issue_tasks(3)] == [
        task["params"] for task in _tasks(client, cid, 3)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_id": "T0", "return": 1.0, "score": "NaN"}, "result.score"),
        ({"task_id": "T0", "return": 1.0, "score": True}, "result.score"),
        ({"task_id": "T0", "return": 1.0, "score": "0.5"}, "result.score"),
        ({"results": [{"task_id": "T0", "return": 1.0},
                      {"task_id": "T1", "return": 1.0, "score": [1]}]}, "results[1].score"),
    ],
)
def test_a_bad_result_score_is_422_naming_it(
    shared_client: TestClient, body: Any, field: str
) -> None:
    client = shared_client
    cid = create(client, f"bad-score-{zlib.crc32(json.dumps(body).encode())}")
    t = _tasks(client, cid, 2)
    raw = json.dumps(body).replace('"T0"', json.dumps(t[0]["task_id"]))
    raw = raw.replace('"T1"', json.dumps(t[1]["task_id"])).replace('"NaN"', "NaN")
    before = _events(client, cid)
    r = client.post(f"/v1/curricula/{cid}/results", content=raw,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and field in r.json()["detail"], r.text
    assert _events(client, cid) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"scores": [{"task_id": "T0", "score": NaN}]}', "scores[0].score"),
        (b'{"scores": [{"task_id": "T0", "score": Infinity}]}', "scores[0].score"),
        (b'{"scores": [{"task_id": "T0", "score": 1e999}]}', "scores[0].score"),
        (b'{"scores": [{"task_id": "T0", "score": "1"}]}', "scores[0].score"),
        (b'{"scores": [{"task_id": "T0", "score": false}]}', "scores[0].score"),
        (b'{"scores": [{"task_id": "T0"}]}', "scores[0].score"),
        (b'{"scores": [{"score": 1.0}]}', "scores[0].task_id"),
        (b'{"scores": [{"task_id": "T0", "score": 1.0, "return": 2}]}', "scores[0].return"),
        (b'{"scores": []}', "scores"),
        (b'{"task_id": "T0", "score": 1.0}', "scores"),
    ],
)
def test_bad_late_scores_are_422_naming_the_field(
    shared_client: TestClient, raw: bytes, field: str
) -> None:
    client = shared_client
    cid = create(client, f"bad-late-{zlib.crc32(raw)}")
    (t,) = _tasks(client, cid, 1)
    r = client.post(f"/v1/curricula/{cid}/results", json={"task_id": t["task_id"], "return": 1})
    assert r.status_code == 200
    before = _events(client, cid)
    r = client.post(f"/v1/curricula/{cid}/scores",
                    content=raw.replace(b'"T0"', json.dumps(t["task_id"]).encode()),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and field in r.json()["detail"], r.text
    assert _events(client, cid) == before
    assert client.post("/v1/curricula/nope/scores", json={
        "scores": [{"task_id": t["task_id"], "score": 1.0}]}).status_code == 404


def test_parquet_export_has_seed_and_score_columns(client: TestClient) -> None:
    import io

    import pyarrow.parquet as pq

    cid = check_scores_round_trip(client, "pq-scores")
    lines = [json.loads(line) for line in
             client.get(f"/v1/curricula/{cid}/events").text.splitlines()]
    r = client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet"})
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.field("score").type == "double"
    assert table.schema.field("seed").type == "int64"
    assert "extra" not in [k for k, v in table.to_pylist()[-1].items() if v is not None]
    from teacher.parquet_codec import rows_to_objects

    # the same events (the columns hold nulls where a JSON field is null or absent)
    assert [teacher.event_from_json(d) for d in rows_to_objects(table)] == [
        teacher.event_from_json(d) for d in lines]
    assert [d.get("score") for d in rows_to_objects(table)] == [d.get("score") for d in lines]


def test_task_answers_carry_plr_seeds_also_on_a_retried_request(client: TestClient) -> None:
    cid = create(client, "plr-seeds", teacher="plr", teacher_params={"buffer_size": 2})
    url = f"/v1/curricula/{cid}/tasks"
    first = client.post(url, json={"count": 3, "request_id": "r1"}).json()["tasks"]
    assert all(isinstance(t["seed"], int) and 0 <= t["seed"] < 2**31 for t in first)
    assert len({t["seed"] for t in first}) == 3
    assert client.post(url, json={"count": 3, "request_id": "r1"}).json()["tasks"] == first
    logged = [e for e in _events(client, cid) if e["type"] == "task"]
    assert [e["seed"] for e in logged] == [t["seed"] for t in first]


def test_a_store_written_before_scores_loads_and_takes_them(tmp_path: Any) -> None:
    """Events of schema 3 and a snapshot of curriculum state format 3 (what the server
    stored before scores and seeds): the server loads them, and results reported from
    now on take late scores."""
    import pydantic_core
    from _server_testlib import curriculum_body, settings_for

    from server.app import create_app
    from server.loading import task_id_prefix
    from server.snapshots import SNAPSHOT_FORMAT
    from server.store import AppendOp, CreateOp, EventRow, SnapshotOp, open_store

    body = curriculum_body("old")
    config = teacher.CurriculumConfig.from_json(
        {**body, "params_version": None})
    cid = "0123456789ab"
    cur = teacher.Curriculum(config, fit_mode="defer", task_id_prefix=task_id_prefix(cid))
    events: list[teacher.Event] = [cur.created_event()]
    for _ in range(4):
        issued = cur.issue_tasks(3)
        events += issued + cur.report([teacher.ResultIn(t.task_id, 10.0) for t in issued]).events

    def row(e: teacher.Event) -> EventRow:
        return EventRow(e.seq, e.type, json.dumps({**teacher.event_to_json(e),
                                                   "schema_version": 3}))

    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    snapshot = {"format": SNAPSHOT_FORMAT, "curriculum": _state_at(events[:9], cid)}
    store.write([CreateOp(cid, "old", json.dumps(cur.config.to_json()), events[0].time,
                          row(events[0])),
                 AppendOp(cid, [row(e) for e in events[1:9]]),
                 SnapshotOp(cid, 9, pydantic_core.to_json(snapshot)),
                 AppendOp(cid, [row(e) for e in events[9:]])])
    store.close()
    with TestClient(create_app(settings_for(tmp_path / "old.db"))) as client:
        info = client.get(f"/v1/curricula/{cid}").json()
        assert (info["seq"], info["counts"]["results"], info["counts"]["scores"]) == (
            len(events), 12, 0)
        # a result the snapshot holds cannot take one; one replayed after it can
        old_id = next(e.task_id for e in events[:9] if isinstance(e, teacher.ResultEvent))
        newer_id = next(e.task_id for e in events[9:] if isinstance(e, teacher.ResultEvent))
        r = client.post(f"/v1/curricula/{cid}/scores",
                        json={"scores": [{"task_id": old_id, "score": 1.0}]})
        assert r.status_code == 422 and "older than the newest" in r.json()["detail"]
        r = client.post(f"/v1/curricula/{cid}/scores",
                        json={"scores": [{"task_id": newer_id, "score": 1.0}]})
        assert r.json() == {"accepted": 1, "duplicates": 0}
        (t,) = _tasks(client, cid, 1)
        assert t["seed"] is None
        assert client.post(f"/v1/curricula/{cid}/results",
                           json={"task_id": t["task_id"], "return": 1.0}).status_code == 200
        r = client.post(f"/v1/curricula/{cid}/scores",
                        json={"scores": [{"task_id": t["task_id"], "score": 1.0}]})
        assert r.json() == {"accepted": 1, "duplicates": 0}


def _state_at(events: list[teacher.Event], cid: str) -> dict[str, Any]:
    """The format-3 curriculum state after ``events`` (as the old server snapshotted it)."""
    from server.loading import task_id_prefix

    cur = teacher.Curriculum.from_events(events, fit_mode="defer",
                                         task_id_prefix=task_id_prefix(cid))
    state = json.loads(json.dumps(cur.state_dict()))
    del state["scorable"], state["counts"]["scores"]
    return {**state, "format_version": 3}
