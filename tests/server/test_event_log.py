"""GET /v1/curricula/{id}/events: JSON lines in the teacher library's format, ``after``,
and Parquet holding the same events."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow.parquet as pq
from _server_testlib import create, wait_for_fits
from fastapi.testclient import TestClient

import teacher


def play(client: TestClient, cid: str, rounds: int, per_round: int = 5) -> None:
    for i in range(rounds):
        ask = {"count": per_round, **({"request_id": f"r{i}"} if i % 2 else {})}
        batch = client.post(f"/v1/curricula/{cid}/tasks", json=ask).json()
        body = {"results": [{"task_id": t["task_id"], "return": 10.0 * t["params"]["stump_height"],
                             "length": 100, "worker": "w"} for t in batch["tasks"]]}
        assert client.post(f"/v1/curricula/{cid}/results", json=body).status_code == 200
    p = {"stump_height": 0.5, "obstacle_spacing": 1.0}
    r = client.post(f"/v1/curricula/{cid}/evaluations",
                    json={"evaluations": [{"params": p, "return": 240.0, "step": 3}]})
    assert r.status_code == 200


def test_jsonl_is_the_teacher_format_from_seq_1(client: TestClient) -> None:
    cid = create(client, "log")
    play(client, cid, 3)
    r = client.get(f"/v1/curricula/{cid}/events")
    assert r.headers["content-type"].startswith("application/x-ndjson")
    events = teacher.read_jsonl(r.text.splitlines())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    created = events[0]
    assert isinstance(created, teacher.CreatedEvent)
    # every hyper-parameter is written out, the defaults in effect included
    params = created.config.to_json()["teacher_params"]
    defaults = teacher.make_teacher("alp-gmm", created.config.space).get_params()
    del defaults["random_state"], defaults["reward_bounds"]  # the config's own fields
    assert params == {**defaults, "fit_rate": 20}
    assert created.config.seed == 7 and created.config.reward_bounds == (-150.0, 350.0)
    kinds = {e.type for e in events}
    assert {"created", "task", "result", "evaluation"} <= kinds
    assert len(events) == client.get(f"/v1/curricula/{cid}").json()["seq"]


def test_after_is_exclusive(client: TestClient) -> None:
    cid = create(client, "after")
    play(client, cid, 2)
    full = client.get(f"/v1/curricula/{cid}/events").text.splitlines()
    tail = client.get(f"/v1/curricula/{cid}/events", params={"after": 5}).text.splitlines()
    assert tail == full[5:] and json.loads(tail[0])["seq"] == 6
    assert client.get(f"/v1/curricula/{cid}/events", params={"after": 10**6}).text == ""
    for bad in (-1, 10**30, "x"):
        r = client.get(f"/v1/curricula/{cid}/events", params={"after": bad})
        assert r.status_code == 422 and "after" in r.json()["detail"]
    r = client.get(f"/v1/curricula/{cid}/events", params={"format": "csv"})
    assert r.status_code == 422 and "format" in r.json()["detail"]
    r = client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet", "follow": True})
    assert r.status_code == 422 and "follow" in r.json()["detail"]


def _row_to_event(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of an event, rebuilt from its Parquet row."""
    out = {k: row[k] for k in ("seq", "type", "time", "schema_version")}
    kind = row["type"]
    if kind == "created":
        out["config"] = json.loads(row["config"])
    elif kind == "task":
        out.update(task_id=row["task_id"], params=row["params"], origin=row["origin"])
        if row["request_id"] is not None:
            out["request_id"] = row["request_id"]
    elif kind == "result":
        out.update(task_id=row["task_id"], params=row["params"], length=row["length"],
                   worker=row["worker"])
        out["return"] = row["return"]
    elif kind == "evaluation":
        out.update(params=row["params"], test_set=row["test_set"], step=row["step"],
                   worker=row["worker"], mastered=row["mastered"])
        out["return"] = row["return"]
    elif kind == "fit":
        out.update(episode=row["episode"], fit=json.loads(row["fit"]))
    return out


def test_parquet_holds_the_same_events(client: TestClient) -> None:
    cid = create(client, "pq", teacher_params={"fit_rate": 5})
    play(client, cid, 6)
    wait_for_fits(client, cid, 1)
    lines = client.get(f"/v1/curricula/{cid}/events").text.splitlines()
    r = client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet", "after": 0})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.field("params").type.num_fields == 2
    rows = table.to_pylist()
    assert len(rows) == len(lines)
    assert [_row_to_event(row) for row in rows] == [json.loads(line) for line in lines]
    assert "fit" in {row["type"] for row in rows}
    r = client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet", "after": 3})
    assert pq.read_table(io.BytesIO(r.content)).column("seq").to_pylist()[0] == 4
