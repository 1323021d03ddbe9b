"""The HTTP contract: creation, tasks, results, evaluations, deletion, and every error class
(in-process app, real SQLite file)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _server_testlib import create, curriculum_body, wait_for_fits
from fastapi.testclient import TestClient

import teacher
from server.schemas import ReportOut, TasksOut


def log(client: TestClient, cid: str, after: int = 0) -> list[teacher.Event]:
    r = client.get(f"/v1/curricula/{cid}/events", params={"after": after})
    assert r.status_code == 200, r.text
    return teacher.read_jsonl(r.text.splitlines()) if after == 0 else [
        teacher.event_from_json(json.loads(line)) for line in r.text.splitlines() if line
    ]


def tasks(client: TestClient, cid: str, count: int | None = None) -> list[dict[str, Any]]:
    body = None if count is None else {"count": count}
    r = client.post(f"/v1/curricula/{cid}/tasks", json=body)
    assert r.status_code == 200, r.text
    return list(r.json()["tasks"])


def post_json(client: TestClient, path: str, raw: bytes) -> Any:
    return client.post(path, content=raw, headers={"content-type": "application/json"})


# -- curricula -------------------------------------------------------------------------------
def test_create_returns_201_with_config_and_counts(client: TestClient) -> None:
    r = client.post("/v1/curricula", json=curriculum_body("walker"))
    assert r.status_code == 201
    body = r.json()
    assert body["name"] == "walker" and body["id"]
    assert body["config"] == {
        "teacher": "alp-gmm", "space": {"stump_height": [0.0, 3.0],
                                        "obstacle_spacing": [0.0, 6.0]},
        "teacher_params": {"fit_rate": 20, "random_task_ratio": 0.2, "k_range": [2, 10],
                           "criterion": "aic", "n_init": 1, "warm_start": False,
                           "gmm_backend": "numpy", "alp_history": None,
                           "alp_ties": "latest"},  # defaults written out
        "seed": 7, "reward_bounds": [-150.0, 350.0], "mastery_threshold": 230.0,
        "environment": None,
    }
    assert body["counts"] == {"tasks": 0, "results": 0, "pending": 0, "expired": 0,
                              "evaluations": 0, "fits": 0, "scores": 0}
    assert body["seq"] == 1 and body["gmm"] is None and body["last_fit_time"] is None


def test_same_name_same_config_is_idempotent_and_different_config_conflicts(
    client: TestClient,
) -> None:
    first = client.post("/v1/curricula", json=curriculum_body("w"))
    again = client.post("/v1/curricula", json=curriculum_body("w"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    # a default spelled out is the same configuration; another value is not
    spelled = curriculum_body("w", teacher_params={"fit_rate": 20, "random_task_ratio": 0.2})
    assert client.post("/v1/curricula", json=spelled).status_code == 200
    clash = client.post("/v1/curricula", json=curriculum_body("w", seed=8))
    assert clash.status_code == 409
    assert "seed" in clash.json()["detail"] and "'w'" in clash.json()["detail"]
    other = curriculum_body("w", teacher_params={"fit_rate": 20, "random_task_ratio": 0.3})
    clash = client.post("/v1/curricula", json=other)
    assert clash.status_code == 409 and "teacher_params" in clash.json()["detail"]
    assert len(client.get("/v1/curricula").json()["curricula"]) == 1


def test_space_order_is_the_canonical_order(client: TestClient) -> None:
    cid = create(client, "order", space={"b": [0, 1], "a": [0, 2], "c": [-1, 1]})
    assert list(tasks(client, cid)[0]["params"]) == ["b", "a", "c"]
    created = log(client, cid)[0]
    assert isinstance(created, teacher.CreatedEvent)
    assert created.config.space.names == ("b", "a", "c")


def test_list_filter_and_get(client: TestClient) -> None:
    a, b = create(client, "a"), create(client, "b")
    names = [c["name"] for c in client.get("/v1/curricula").json()["curricula"]]
    assert names == ["a", "b"]
    only = client.get("/v1/curricula", params={"name": "b"}).json()["curricula"]
    assert [c["id"] for c in only] == [b]
    assert client.get("/v1/curricula", params={"name": "zzz"}).json() == {"curricula": []}
    assert client.get(f"/v1/curricula/{a}").json()["name"] == "a"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"space": {"x": [1, 0]}}, "space"),
        ({"space": {}}, "space"),
        ({"space": {"x": [0, float("nan")]}}, "space.x"),
        ({"space": {"x": [0, "1"]}}, "space.x"),
        ({"teacher": "nope"}, "teacher"),
        ({"teacher_params": {"fit_rate": 1}}, "teacher_params"),
        ({"teacher_params": {"no_such_param": 1}}, "teacher_params"),
        ({"teacher_params": {"random_state": 3}}, "teacher_params"),
        ({"teacher_params": {"random_task_ratio": float("inf")}}, "teacher_params"),
        ({"reward_bounds": [1, 0]}, "reward_bounds"),
        ({"reward_bounds": [0]}, "reward_bounds"),
        ({"mastery_threshold": float("nan")}, "mastery_threshold"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**70}, "seed"),
        ({"seed": "3"}, "seed"),
        ({"name": ""}, "name"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_invalid_creation_is_422_naming_the_field(
    shared_client: TestClient, override: dict[str, Any], field: str
) -> None:
    body = json.dumps({**curriculum_body("bad"), **override}).encode()  # NaN/inf: JSON tokens
    r = post_json(shared_client, "/v1/curricula", body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"], r.json()
    assert shared_client.get("/v1/curricula").json()["curricula"] == []


def test_unknown_ids_are_404(shared_client: TestClient) -> None:
    for method, path in [
        ("GET", "/v1/curricula/nope"),
        ("DELETE", "/v1/curricula/nope"),
        ("POST", "/v1/curricula/nope/tasks"),
        ("GET", "/v1/curricula/nope/events"),
        ("GET", "/v1/curricula/nope/events?format=parquet"),
        ("GET", "/v1/no-such-route"),
    ]:
        r = shared_client.request(method, path)
        assert r.status_code == 404, (method, path, r.text)
        assert "detail" in r.json()
    r = shared_client.post("/v1/curricula/nope/results", json={"task_id": "x", "return": 1})
    assert r.status_code == 404 and "nope" in r.json()["detail"]


# -- tasks -----------------------------------------------------------------------------------
def test_tasks_default_one_and_count_limits(client: TestClient) -> None:
    cid = create(client, "t")
    one = tasks(client, cid)
    assert len(one) == 1 and set(one[0]) == {"task_id", "params", "origin"}
    assert one[0]["origin"] == "bootstrap"
    assert len(tasks(client, cid, 256)) == 256
    for bad in (0, 257, -1, 1.5, "2", True):
        r = client.post(f"/v1/curricula/{cid}/tasks", json={"count": bad})
        assert r.status_code == 422 and "count" in r.json()["detail"], (bad, r.text)
    ids = [t["task_id"] for t in one + tasks(client, cid, 10)]
    assert len(set(ids)) == len(ids)
    # The student-loop routes encode their bodies themselves: they must keep the schema.
    r = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 3})
    assert r.headers["content-type"] == "application/json"
    assert TasksOut.model_validate_json(r.content).model_dump() == r.json()
    r = client.post(f"/v1/curricula/{cid}/results",
                    json={"task_id": r.json()["tasks"][0]["task_id"], "return": 1.0})
    assert r.headers["content-type"] == "application/json"
    assert ReportOut.model_validate_json(r.content) == ReportOut(accepted=1, duplicates=0)
    assert client.get(f"/v1/curricula/{cid}").json()["counts"]["pending"] == 269


def test_task_params_lie_in_the_space(client: TestClient) -> None:
    cid = create(client, "box", space={"a": [-1, 1], "b": [10, 20]})
    for t in tasks(client, cid, 50):
        assert -1 <= t["params"]["a"] <= 1 and 10 <= t["params"]["b"] <= 20


# -- results ---------------------------------------------------------------------------------
def test_single_and_batch_results_duplicates_and_conflicts(client: TestClient) -> None:
    cid = create(client, "r")
    t = tasks(client, cid, 4)
    url = f"/v1/curricula/{cid}/results"
    r = client.post(url, json={"task_id": t[0]["task_id"], "return": 1.5, "length": 10,
                               "worker": "w1"})
    assert r.json() == {"accepted": 1, "duplicates": 0}
    batch = {"results": [{"task_id": t[1]["task_id"], "return": 2},
                         {"task_id": t[0]["task_id"], "return": 1.5}]}
    assert client.post(url, json=batch).json() == {"accepted": 1, "duplicates": 1}
    seq_before = len(log(client, cid))
    assert client.post(url, json=batch).json() == {"accepted": 0, "duplicates": 2}
    assert len(log(client, cid)) == seq_before  # duplicates change nothing
    clash = client.post(url, json={"task_id": t[0]["task_id"], "return": 99})
    assert clash.status_code == 409
    assert t[0]["task_id"] in clash.json()["detail"] and "1.5" in clash.json()["detail"]
    # a duplicate within one batch is a duplicate; a conflicting one makes the batch a 409
    inner = {"results": [{"task_id": t[2]["task_id"], "return": 3},
                         {"task_id": t[2]["task_id"], "return": 3}]}
    assert client.post(url, json=inner).json() == {"accepted": 1, "duplicates": 1}
    inner_clash = {"results": [{"task_id": t[3]["task_id"], "return": 3},
                               {"task_id": t[3]["task_id"], "return": 4}]}
    assert client.post(url, json=inner_clash).status_code == 409
    counts = client.get(f"/v1/curricula/{cid}").json()["counts"]
    assert (counts["results"], counts["pending"]) == (3, 1)
    results = [e for e in log(client, cid) if isinstance(e, teacher.ResultEvent)]
    assert [(e.task_id, e.episode_return) for e in results] == [
        (t[0]["task_id"], 1.5), (t[1]["task_id"], 2.0), (t[2]["task_id"], 3.0)]
    assert (results[0].length, results[0].worker) == (10, "w1")
    assert results[0].params == t[0]["params"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"task_id": "T0", "return": NaN}', "result.return"),
        (b'{"task_id": "T0", "return": Infinity}', "result.return"),
        (b'{"task_id": "T0", "return": -Infinity}', "result.return"),
        (b'{"task_id": "T0", "return": 1e999}', "result.return"),
        (b'{"task_id": "T0", "return": "1.0"}', "result.return"),
        (b'{"task_id": "T0", "return": true}', "result.return"),
        (b'{"task_id": "T0"}', "result.return"),
        (b'{"return": 1.0}', "result.task_id"),
        (b'{"task_id": "T0", "return": 1, "length": -1}', "result.length"),
        (b'{"task_id": "T0", "return": 1, "length": 2.5}', "result.length"),
        (b'{"task_id": "T0", "return": 1, "extra": 2}', "result.extra"),
        (b'{"results": [{"task_id": "T0", "return": 1}, {"task_id": "T1", "return": NaN}]}',
         "results[1].return"),
        (b'{"results": []}', "results"),
        (b'{"results": [{"task_id": "T0", "return": 1}], "task_id": "x"}', "results.task_id"),
        (b'{"task_id": "T0", "ret', "body: invalid JSON"),
        (b'not json', "body: invalid JSON"),
        (b'[1, 2]', "result"),
        (b'', "body"),
        (b'{"results": [{"task_id": "T0", "return": 1}, {"task_id": "nope", "return": 2}]}',
         "results[1].task_id"),
    ],
)
def test_invalid_results_are_422_and_store_nothing(
    client: TestClient, raw: bytes, field: str
) -> None:
    cid = create(client, "bad-results")
    t = tasks(client, cid, 2)
    raw = raw.replace(b'"T0"', json.dumps(t[0]["task_id"]).encode())
    raw = raw.replace(b'"T1"', json.dumps(t[1]["task_id"]).encode())
    before = client.get(f"/v1/curricula/{cid}/events").text
    r = post_json(client, f"/v1/curricula/{cid}/results", raw)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"], r.json()
    assert client.get(f"/v1/curricula/{cid}/events").text == before  # the log is unchanged
    assert client.get(f"/v1/curricula/{cid}").json()["counts"]["pending"] == 2


def test_batch_limit_and_oversized_body(client: TestClient) -> None:
    cid = create(client, "big")
    t = tasks(client, cid)
    item = {"task_id": t[0]["task_id"], "return": 1.0}
    r = client.post(f"/v1/curricula/{cid}/results", json={"results": [item] * 1025})
    assert r.status_code == 422 and "results" in r.json()["detail"]
    assert client.post(f"/v1/curricula/{cid}/results",
                       json={"results": [item] * 1024}).json() == {"accepted": 1,
                                                                    "duplicates": 1023}
    huge = json.dumps({"results": [item] * 1024, "pad": "x" * 1_100_000}).encode()
    r = post_json(client, f"/v1/curricula/{cid}/results", huge)
    assert r.status_code == 413
    assert "1048576" in r.json()["detail"]
    # without Content-Length (chunked), the limit holds while the body is read
    chunks = iter([b'{"results": [', b" " * 700_000, b" " * 700_000, b"]}"])
    r = client.post(f"/v1/curricula/{cid}/results", content=chunks,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "1048576" in r.json()["detail"]


def test_results_of_another_curriculum_are_unknown(client: TestClient) -> None:
    a, b = create(client, "a"), create(client, "b")
    ta = tasks(client, a)[0]["task_id"]
    r = client.post(f"/v1/curricula/{b}/results", json={"task_id": ta, "return": 0})
    assert r.status_code == 422 and "never issued" in r.json()["detail"]


def test_results_feed_the_teacher_in_arrival_order_and_fits_install(
    client: TestClient,
) -> None:
    cid = create(client, "fits", teacher_params={"fit_rate": 10})
    for fits in (1, 2):
        for _ in range(3):
            batch = tasks(client, cid, 10)
            body = {"results": [{"task_id": x["task_id"],
                                 "return": 100 * x["params"]["stump_height"]} for x in batch]}
            assert client.post(f"/v1/curricula/{cid}/results", json=body).status_code == 200
        # fits run in a worker process and install at the first request after they complete
        info = wait_for_fits(client, cid, fits)
    gmm = info["gmm"]
    assert gmm["k"] == len(gmm["weights"]) == len(gmm["alp"]) == len(gmm["means"])
    assert len(gmm["means"][0]) == 3  # two parameters + ALP
    assert info["last_fit_time"] is not None
    events = log(client, cid)  # read_jsonl-compatible, gap-free, replayable
    rebuilt = teacher.Curriculum.from_events(events)
    assert rebuilt.counts() == info["counts"]
    fits = [e for e in events if isinstance(e, teacher.FitEvent)]
    assert [e.fit.fit_index for e in fits] == sorted({e.fit.fit_index for e in fits})


def test_fits_that_fall_behind_coalesce_to_the_newest_window(client: TestClient) -> None:
    cid = create(client, "behind", teacher_params={"fit_rate": 10})
    batch = tasks(client, cid, 60)
    body = {"results": [{"task_id": x["task_id"], "return": 50.0 * i}
                        for i, x in enumerate(batch)]}
    assert client.post(f"/v1/curricula/{cid}/results", json=body).json()["accepted"] == 60
    info = wait_for_fits(client, cid, 1)
    # six windows became due in one batch: only the newest was fitted
    assert info["counts"]["fits"] == 1 and info["gmm"]["fit_index"] == 6
    assert info["fitting"] == {"in_flight": False, "behind": 0, "coalesced": 5}
    assert info["gmm"]["episode"] == 60
    assert 'curriculum_fits_coalesced_total{curriculum="behind"} 5.0' in client.get(
        "/metrics").text


# -- evaluations -----------------------------------------------------------------------------
def test_evaluations_are_stored_summarised_and_never_fed_to_the_teacher(
    client: TestClient,
) -> None:
    cid = create(client, "eval")
    url = f"/v1/curricula/{cid}/evaluations"
    p = {"stump_height": 1.0, "obstacle_spacing": 2.0}
    body = {"evaluations": [
        {"params": p, "return": 250, "test_set": "grid", "step": 1000, "worker": "e"},
        {"params": p, "return": 100, "test_set": "grid", "step": 1000},
        {"params": p, "return": 300, "test_set": "grid", "step": 2000},
    ]}
    r = client.post(url, json=body)
    assert r.status_code == 200
    assert r.json() == {"accepted": 3, "duplicates": 0, "mastery": [
        {"test_set": "grid", "step": 1000, "evaluated": 2, "mastered": 1, "mastery_pct": 50.0},
        {"test_set": "grid", "step": 2000, "evaluated": 1, "mastered": 1, "mastery_pct": 100.0},
    ]}
    info = client.get(f"/v1/curricula/{cid}").json()
    assert info["latest_mastery_pct"] == 100.0 and len(info["mastery"]) == 2
    assert info["counts"]["evaluations"] == 3 and info["counts"]["results"] == 0
    evals = [e for e in log(client, cid) if isinstance(e, teacher.EvaluationEvent)]
    assert [e.mastered for e in evals] == [True, False, True]
    # validated as a whole
    bad = {"evaluations": [{"params": p, "return": 1},
                           {"params": {"stump_height": 9, "obstacle_spacing": 1}, "return": 1}]}
    r = client.post(url, json=bad)
    assert r.status_code == 422 and "evaluations[1].params" in r.json()["detail"]
    r = post_json(client, url, b'{"evaluations": [{"params": {"stump_height": NaN}, "return": 1}]}')
    assert r.status_code == 422 and "evaluations[0].params.stump_height" in r.json()["detail"]
    assert client.get(f"/v1/curricula/{cid}").json()["counts"]["evaluations"] == 3


def test_evaluations_without_threshold_have_no_mastery(client: TestClient) -> None:
    cid = create(client, "nothr", mastery_threshold=None)
    r = client.post(f"/v1/curricula/{cid}/evaluations", json={"evaluations": [
        {"params": {"stump_height": 0, "obstacle_spacing": 0}, "return": 1}]})
    assert r.json() == {"accepted": 1, "duplicates": 0, "mastery": []}
    assert client.get(f"/v1/curricula/{cid}").json()["latest_mastery_pct"] is None


# -- deletion --------------------------------------------------------------------------------
def test_delete_removes_the_curriculum_and_frees_its_name(client: TestClient) -> None:
    cid = create(client, "gone")
    t = tasks(client, cid)[0]
    assert client.delete(f"/v1/curricula/{cid}").status_code == 204
    assert client.get(f"/v1/curricula/{cid}").status_code == 404
    assert client.get(f"/v1/curricula/{cid}/events").status_code == 404
    r = client.post(f"/v1/curricula/{cid}/results", json={"task_id": t["task_id"], "return": 1})
    assert r.status_code == 404
    assert client.delete(f"/v1/curricula/{cid}").status_code == 404
    new = create(client, "gone")
    assert new != cid
    assert tasks(client, new)[0]["task_id"] != t["task_id"]


def test_pending_tasks_never_block(client: TestClient) -> None:
    cid = create(client, "pending", teacher_params={"fit_rate": 5})
    abandoned = tasks(client, cid, 20)
    for _ in range(3):
        batch = tasks(client, cid, 5)
        body = {"results": [{"task_id": x["task_id"], "return": 1.0} for x in batch]}
        assert client.post(f"/v1/curricula/{cid}/results", json=body).status_code == 200
    counts = client.get(f"/v1/curricula/{cid}").json()["counts"]
    assert counts["pending"] == len(abandoned) and counts["results"] == 15


# -- the service -----------------------------------------------------------------------------
def test_healthz_docs_and_openapi(shared_client: TestClient) -> None:
    assert shared_client.get("/healthz").json()["status"] == "ok"
    assert shared_client.get("/docs").status_code == 200
    spec = shared_client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/v1/curricula", "/v1/curricula/{curriculum_id}",
                 "/v1/curricula/{curriculum_id}/tasks", "/v1/curricula/{curriculum_id}/results",
                 "/v1/curricula/{curriculum_id}/evaluations",
                 "/v1/curricula/{curriculum_id}/events", "/healthz", "/metrics"):
        assert path in paths, path
    assert paths["/v1/curricula/{curriculum_id}/results"]["post"]["responses"]["409"]


@pytest.mark.parametrize("path", ["/v1/curricula", "/v1/curricula/{cid}/tasks",
                                  "/v1/curricula/{cid}/results",
                                  "/v1/curricula/{cid}/evaluations"])
def test_no_client_input_causes_a_500(shared_client: TestClient, path: str) -> None:
    cid = create(shared_client, f"fuzz-{path.rsplit('/', 1)[-1]}")
    weird: list[Any] = [
        None, [], {}, "x", 0, [{}], {"results": None}, {"results": [None]},
        {"results": [{"task_id": None, "return": 1}]}, {"count": None},
        {"evaluations": [{"params": [1, 2], "return": 1}]},
        {"evaluations": [{"params": {"stump_height": 1e308, "obstacle_spacing": 0},
                          "return": 1e308, "step": 10**30}]},
        {"name": "n", "space": {"x": [0, 1e308]}, "teacher_params": {"k_range": {"a": 1}}},
        {"name": "n2", "space": {"x": [0, 1]}, "teacher_params": {"fit_rate": [1, 2]}},
        {"name": "n3", "space": {"x": [0, 1]}, "teacher": "oracle", "teacher_params": {}},
        {"name": "n4", "space": {"x": [0, 1]}, "teacher_params": {"k_range": [2, 10, 3]}},
        {"name": "n5", "space": {"x": [0, 1]}, "teacher_params": {"criterion": {}}},
        {"name": "\u00e9\u0000", "space": {"\u0000": [0, 1]}},
        {"task_id": "x" * 201, "return": 1},
    ]
    for body in weird:
        r = shared_client.post(path.replace("{cid}", cid), json=body)
        assert r.status_code < 500, (body, r.status_code, r.text)
        if r.status_code >= 400:
            assert isinstance(r.json()["detail"], str)
    for raw in (b"\xff\xfe", b"{" * 10_000, b'{"a": 1e999999}', b"[" * 100 + b"]" * 100,
                b"[" * 100_000 + b"]" * 100_000):
        r = post_json(shared_client, path.replace("{cid}", cid), raw)
        assert r.status_code == 422, (raw[:20], r.status_code, r.text)
