"""The fast lane (server.fastlane) answers exactly as FastAPI does: two real servers, one
with it and one without (CURRICULUM_FAST_LANE=0), get the same requests — well-formed,
malformed, chunked, duplicated, conflicting — and must give the same statuses, headers,
bodies and event logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_testlib import LiveServer, create, settings_for
from fastapi.testclient import TestClient

from server.app import create_app
from server.fastlane import FastLane

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    fast = LiveServer(tmp_path / "fast.db").start()
    try:
        slow = LiveServer(tmp_path / "slow.db", env={"CURRICULUM_FAST_LANE": "0"}).start()
        try:
            yield fast, slow
        finally:
            slow.kill()
    finally:
        fast.kill()


def _chunks(body: bytes) -> Iterator[bytes]:
    yield body[:7]
    yield body[7:]


def _answer(r: httpx.Response, cid: str) -> tuple[Any, ...]:
    """Status, headers and body, with what differs between the two servers (the
    curriculum id, the port, the date) taken out."""
    headers = {k: v.replace(str(r.request.url.port), "PORT").replace(cid, "CID")
               for k, v in r.headers.items() if k not in ("date", "server")}
    return r.status_code, headers, r.content.replace(cid.encode(), b"CID")


def _requests(first: str, second: str) -> list[tuple[str, dict[str, Any]]]:
    """(path under the curriculum, httpx request arguments); ``first`` and ``second`` are
    the ids of the first two tasks the curriculum issues."""
    one = {"task_id": first, "return": 12.5}
    return [
        ("tasks", {"content": b"", "headers": JSON}),                      # one task
        ("tasks", {"json": {"count": 3}}),
        ("tasks", {"content": b"null", "headers": JSON}),
        ("tasks", {"json": {"count": 2, "request_id": "r1"}}),
        ("tasks", {"json": {"count": 2, "request_id": "r1"}}),             # the same two
        ("tasks", {"json": {"count": 3, "request_id": "r1"}}),             # 409
        ("tasks", {"json": {"count": 0}}),
        ("tasks", {"json": {"count": "2"}}),
        ("tasks", {"json": {"count": 2.0}}),                               # an integer
        ("tasks", {"json": {"count": 1, "extra": True}}),
        ("tasks", {"json": [1]}),
        ("tasks", {"content": b"{", "headers": JSON}),
        ("tasks", {"content": b"\xff", "headers": JSON}),
        ("tasks", {"content": b'{"count": 1}'}),                           # no Content-Type
        ("tasks", {"content": b'{"count": 1}', "headers": {"Content-Type": "text/plain"}}),
        ("tasks", {"content": b'{"count": 1}',
                   "headers": {"Content-Type": "application/vnd.x+json; charset=utf-8"}}),
        ("tasks/", {"json": {"count": 1}}),
        ("results", {"json": one}),
        ("results", {"json": one}),                                        # a duplicate
        ("results", {"json": {**one, "return": 13.0}}),                    # 409
        ("results", {"content": _chunks(json.dumps({"results": [
            {"task_id": second, "return": -3.0, "length": 40, "worker": "w", "score": 0.5},
        ]}).encode()), "headers": JSON}),                                  # chunked
        ("results", {"json": {"results": [{"task_id": "t999", "return": 1.0}]}}),
        ("results", {"content": b'{"task_id": "t9", "return": NaN}', "headers": JSON}),
        ("results", {"json": {"task_id": "t9", "return": 1.0, "extra": 1}}),
        ("results", {"json": {"results": []}}),
        ("results", {"content": b"null", "headers": JSON}),
        ("results", {"content": b"", "headers": JSON}),
        ("results", {"json": {"task_id": "t9", "return": "1"}}),
    ]


def test_fast_lane_answers_as_fastapi(pair: tuple[LiveServer, LiveServer]) -> None:
    answers: dict[str, list[tuple[Any, ...]]] = {}
    logs: dict[str, list[dict[str, Any]]] = {}
    for server in pair:
        with server.client() as client:
            cid = create(client, "lane")
            base = f"/v1/curricula/{cid}"
            got = []
            # The first two tasks are those of the first request: their ids are known
            # once it is answered, identical on both servers (the same seed and order).
            first = client.post(f"{base}/tasks", json={"count": 2}).json()["tasks"]
            for path, kw in _requests(first[0]["task_id"], first[1]["task_id"]):
                got.append(_answer(client.post(f"{base}/{path}", **kw), cid))
            got.append(_answer(client.post("/v1/curricula/nope/tasks", json={}), cid))
            got.append(_answer(client.post("/v1/curricula/nope/results",
                                           json={"task_id": "t1", "return": 1.0}), cid))
            got.append(_answer(client.get(f"{base}/tasks"), cid))
            answers[server.db.name] = got
            events = client.get(f"{base}/events").text.splitlines()
            logs[server.db.name] = [
                {k: v for k, v in json.loads(e.replace(cid, "CID")).items() if k != "time"}
                for e in events]
    fast, slow = answers["fast.db"], answers["slow.db"]
    assert [a[0] for a in fast] == [
        200, 200, 200, 200, 200, 409, 422, 422, 200, 422, 422, 422, 422, 200, 415, 200, 307,
        200, 200, 409, 200, 422, 422, 422, 422, 422, 422, 422, 404, 404, 405]
    for i, (f, s) in enumerate(zip(fast, slow, strict=True)):
        assert f == s, f"request {i}: fast lane {f!r} != FastAPI {s!r}"
    assert logs["fast.db"] == logs["slow.db"]
    assert sum(e["type"] == "result" for e in logs["fast.db"]) == 2


def test_fast_lane_requests_are_counted_by_route(live_server: LiveServer) -> None:
    with live_server.client() as client:
        cid = create(client, "m")
        for _ in range(3):
            task = client.post(f"/v1/curricula/{cid}/tasks").json()["tasks"][0]
            client.post(f"/v1/curricula/{cid}/results",
                        json={"task_id": task["task_id"], "return": 1.0})
        text = client.get("/metrics").text
    for route in ("tasks", "results"):
        line = ('curriculum_http_requests_total{method="POST",'
                f'route="/v1/curricula/{{curriculum_id}}/{route}",status="200"}} 3.0')
        assert line in text


def test_fast_lane_serves_well_formed_requests_and_hands_over_the_rest(db_path: Path) -> None:
    app = create_app(settings_for(db_path))
    lane = app.router.middleware_stack
    assert isinstance(lane, FastLane)
    with TestClient(app) as client:
        cid = create(client, "l")
        task = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 1}).json()["tasks"][0]
        r = client.post(f"/v1/curricula/{cid}/results",
                        json={"task_id": task["task_id"], "return": 1.0})
        assert r.json() == {"accepted": 1, "duplicates": 0}
        assert (lane.served, lane.handed_over) == (2, 0)
        assert client.post(f"/v1/curricula/{cid}/tasks", json={"count": -1}).status_code == 422
        assert client.post(f"/v1/curricula/{cid}/results", content=b"{").status_code == 422
        assert client.get(f"/v1/curricula/{cid}").status_code == 200  # not a lane's
        assert (lane.served, lane.handed_over) == (2, 2)
    off = create_app(settings_for(db_path.with_name("off.db"), fast_lane=False))
    assert not isinstance(off.router.middleware_stack, FastLane)
