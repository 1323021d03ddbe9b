"""Idempotent ``POST .../tasks`` (issue #15.6): a retried request (same request_id) gets
the same tasks and leaves no extra pending task, also after the server was killed and
restarted (the ids are in the event log and in snapshots)."""

from __future__ import annotations

from typing import Any

import pytest
from _server_testlib import create
from fastapi.testclient import TestClient


def ask(client: Any, cid: str, **body: Any) -> Any:
    return client.post(f"/v1/curricula/{cid}/tasks", json=body)


def test_a_retried_request_gets_the_same_tasks(client: TestClient) -> None:
    cid = create(client, "idem")
    first = ask(client, cid, count=3, request_id="req-1")
    assert first.status_code == 200, first.text
    log = client.get(f"/v1/curricula/{cid}/events").text
    again = ask(client, cid, count=3, request_id="req-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert client.get(f"/v1/curricula/{cid}/events").text == log
    assert client.get(f"/v1/curricula/{cid}").json()["counts"]["pending"] == 3
    r = ask(client, cid, count=2, request_id="req-1")
    assert r.status_code == 409 and "request_id 'req-1'" in r.json()["detail"]
    other = ask(client, cid, count=3, request_id="req-2").json()["tasks"]
    assert {t["task_id"] for t in other}.isdisjoint(t["task_id"] for t in first.json()["tasks"])
    for bad in ("", "x" * 129, "a\u0000b", 7):
        r = ask(client, cid, count=1, request_id=bad)
        assert r.status_code == 422 and "request_id" in r.json()["detail"], (bad, r.text)
    assert client.get(f"/v1/curricula/{cid}").json()["counts"]["pending"] == 6


@pytest.mark.parametrize("snapshot_every", ["2", "50000"])
def test_a_retry_after_a_restart_gets_the_same_tasks(server_factory: Any,
                                                     snapshot_every: str) -> None:
    """From a snapshot taken after the request (2) and from the log alone (50000)."""
    server = server_factory(CURRICULUM_SNAPSHOT_EVERY=snapshot_every)
    with server.client() as c:
        cid = create(c, "restart")
        first = ask(c, cid, count=4, request_id="lost-answer").json()
        ask(c, cid, count=1)
    server.kill()
    server = server_factory(CURRICULUM_SNAPSHOT_EVERY=snapshot_every)
    with server.client() as c:
        again = ask(c, cid, count=4, request_id="lost-answer")
        assert again.status_code == 200 and again.json() == first
        assert c.get(f"/v1/curricula/{cid}").json()["counts"]["pending"] == 5
