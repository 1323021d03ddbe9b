"""Hostile input at the HTTP edge (issue #15): every bad request is a 4xx naming the
field, checked before anything is queued for the store, and nothing is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest
from _server_testlib import create, curriculum_body
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings

INT64_MAX = 2**63 - 1


def post_raw(client: TestClient, path: str, raw: bytes,
             content_type: str = "application/json") -> Any:
    return client.post(path, content=raw, headers={"content-type": content_type})


def issue(client: TestClient, cid: str, count: int = 1) -> list[dict[str, Any]]:
    r = client.post(f"/v1/curricula/{cid}/tasks", json={"count": count})
    assert r.status_code == 200, r.text
    return list(r.json()["tasks"])


def events_text(client: TestClient, cid: str) -> str:
    r = client.get(f"/v1/curricula/{cid}/events")
    assert r.status_code == 200, r.text
    return r.text


# -- 1. integers every backend and format can store ------------------------------------------
@pytest.mark.parametrize("value", [2**63, 2**64, 10**30])
def test_integers_beyond_int64_are_422_and_the_parquet_export_still_works(
    shared_client: TestClient, value: int
) -> None:
    cid = create(shared_client, f"int64-{value}")
    t = issue(shared_client, cid)[0]
    before = events_text(shared_client, cid)
    bodies = [
        ("results", {"task_id": t["task_id"], "return": 1.0, "length": value}, "length"),
        ("evaluations", {"evaluations": [{"params": t["params"], "return": 1.0, "step": value}]},
         "step"),
    ]
    for route, body, field in bodies:
        r = shared_client.post(f"/v1/curricula/{cid}/{route}", json=body)
        assert r.status_code == 422, r.text
        assert field in r.json()["detail"] and str(INT64_MAX) in r.json()["detail"]
    assert events_text(shared_client, cid) == before
    r = shared_client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet"})
    assert r.status_code == 200
    assert pq.read_table(io.BytesIO(r.content)).num_rows == 2


def test_the_largest_int64_is_stored_and_exported(shared_client: TestClient) -> None:
    cid = create(shared_client, "int64-max")
    t = issue(shared_client, cid)[0]
    r = shared_client.post(f"/v1/curricula/{cid}/results",
                           json={"task_id": t["task_id"], "return": 1.0, "length": INT64_MAX})
    assert r.status_code == 200, r.text
    r = shared_client.get(f"/v1/curricula/{cid}/events", params={"format": "parquet"})
    assert pq.read_table(io.BytesIO(r.content)).column("length").to_pylist()[-1] == INT64_MAX


# -- 2. strings every backend can store --------------------------------------------------------
def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


NUL_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("", curriculum_body("nul\u0000name"), "name"),
    ("", curriculum_body("nul-teacher", teacher="alp\u0000gmm"), "teacher"),
    ("", curriculum_body("nul-space", space={"x\u0000": [0, 1]}), "space"),
    ("", curriculum_body("nul-param", teacher_params={"fit_rate": 20, "criterion": "a\u0000"}),
     "teacher_params.criterion"),
    ("", curriculum_body("nul-param-key", teacher_params={"a\u0000": 1}), "teacher_params"),
    ("", curriculum_body("nul-env", environment={"id": "StumpTracks-v1\u0000"}),
     "environment"),
    ("", curriculum_body("big-param", teacher_params={"fit_rate": 2**64}),
     "teacher_params.fit_rate"),
    ("results", {"task_id": "T", "return": 1.0, "worker": "w\u0000"}, "worker"),
    ("results", {"task_id": "T\u0000", "return": 1.0}, "task_id"),
    ("evaluations", {"evaluations": [{"params": {"x": 0.5}, "return": 1.0,
                                      "test_set": "s\u0000"}]}, "test_set"),
    ("evaluations", {"evaluations": [{"params": {"x\u0000": 0.5}, "return": 1.0}]}, "params"),
]


def _check_nul_bodies(client: TestClient) -> None:
    cid = create(client, "nul-target", space={"x": [0.0, 1.0]})
    t = issue(client, cid)[0]
    before = client.get("/v1/curricula").json()
    log_before = events_text(client, cid)
    for route, body, field in NUL_BODIES:
        path = f"/v1/curricula/{cid}/{route}" if route else "/v1/curricula"
        if body.get("task_id") == "T":
            body = {**body, "task_id": t["task_id"]}
        r = client.post(path, json=body)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert field in r.json()["detail"], (field, r.json()["detail"])
    assert client.get("/v1/curricula").json() == before
    assert events_text(client, cid) == log_before


def test_nul_characters_and_huge_parameters_are_422_on_sqlite(client: TestClient) -> None:
    _check_nul_bodies(client)


def test_nul_characters_are_422_on_postgresql(pg_url: str) -> None:
    """PostgreSQL text cannot hold NUL: this was a 503 from the store, failing the whole
    group commit (other clients' writes too)."""
    with TestClient(create_app(Settings(db=pg_url))) as client:
        _check_nul_bodies(client)


def test_deeply_nested_teacher_params_are_422(shared_client: TestClient) -> None:
    """900 levels of lists in a hyper-parameter exhausted the recursion of the teacher's
    parameter handling: a 500."""
    before = shared_client.get("/v1/curricula").json()
    r = shared_client.post("/v1/curricula", json=curriculum_body(
        "deep-param", teacher_params={"k_range": _nested(900)}))
    assert r.status_code == 422, r.text
    assert ("teacher_params.k_range[0][0][0][0][0][0][0][0] must not nest deeper than 8 "
            "levels") in r.json()["detail"]
    assert shared_client.get("/v1/curricula").json() == before


# -- 3. errors that say what is wrong ----------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"name": "\xff\xfe"}', "not valid UTF-8"),
    (b'{"seed": 1' + b"0" * 5000 + b"}", "digits"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_undecodable_bodies_name_the_reason(
    shared_client: TestClient, raw: bytes, expected: str
) -> None:
    r = post_raw(shared_client, "/v1/curricula", raw)
    assert r.status_code == 422, r.text
    assert expected in r.json()["detail"], r.json()
    assert "?" not in r.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_is_415(shared_client: TestClient, content_type: str) -> None:
    before = shared_client.get("/v1/curricula").json()
    r = post_raw(shared_client, "/v1/curricula",
                 json.dumps(curriculum_body("plain")).encode(), content_type)
    assert r.status_code == 415, r.text
    assert "application/json" in r.json()["detail"] and content_type in r.json()["detail"]
    assert shared_client.get("/v1/curricula").json() == before


def test_json_media_types_are_accepted(shared_client: TestClient) -> None:
    for i, content_type in enumerate(["application/json; charset=utf-8",
                                      "application/merge-patch+json", "APPLICATION/JSON"]):
        r = post_raw(shared_client, "/v1/curricula",
                     json.dumps(curriculum_body(f"json-{i}")).encode(), content_type)
        assert r.status_code == 201, (content_type, r.text)



# -- 5. what the schema says is what the server accepts ----------------------------------------
def test_a_whole_float_is_an_integer_as_the_schema_says(shared_client: TestClient) -> None:
    cid = create(shared_client, "whole-floats")
    r = shared_client.post(f"/v1/curricula/{cid}/tasks", json={"count": 3.0})
    assert r.status_code == 200 and len(r.json()["tasks"]) == 3, r.text
    t = r.json()["tasks"][0]
    r = shared_client.post(f"/v1/curricula/{cid}/results",
                           json={"task_id": t["task_id"], "return": 1.0, "length": 194.0})
    assert r.status_code == 200, r.text
    for count in (2.5, "2", True, 1e300):
        r = shared_client.post(f"/v1/curricula/{cid}/tasks", json={"count": count})
        assert r.status_code == 422 and "count" in r.json()["detail"], (count, r.text)


@pytest.mark.parametrize(("space", "says"), [
    ({"x": [-1e308, 1e308]}, "less than or equal to 1000000000"),
    ({"x": [0.0, 1e10]}, "less than or equal to 1000000000"),
    ({"x": [1e8, 1e8 + 1e-3]}, "wide at this magnitude"),
    ({"x": [0.0, 1e-7]}, "wide at this magnitude"),
])
def test_a_space_the_teachers_cannot_sample_is_422(
    shared_client: TestClient, space: dict[str, list[float]], says: str
) -> None:
    r = shared_client.post("/v1/curricula", json=curriculum_body("huge-space", space=space))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("space") and says in r.json()["detail"], r.json()


def test_the_widest_space_allowed_issues_distinct_tasks_inside_it(
    shared_client: TestClient,
) -> None:
    cid = create(shared_client, "wide-space", space={"x": [-1e9, 1e9], "y": [5e8, 5e8 + 1e3]},
                 teacher="random", teacher_params={})
    values = [t["params"] for t in issue(shared_client, cid, 50)]
    assert len({v["x"] for v in values}) == 50 and len({v["y"] for v in values}) == 50
    assert all(-1e9 <= v["x"] <= 1e9 and 5e8 <= v["y"] <= 5e8 + 1e3 for v in values)
