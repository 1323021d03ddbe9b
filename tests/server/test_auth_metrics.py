"""Bearer-token authentication and the Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from _server_testlib import create, curriculum_body, settings_for
from fastapi.testclient import TestClient
from pydantic import ValidationError

from server.app import create_app


def test_token_required_everywhere_but_healthz(db_path: Path) -> None:
    app = create_app(settings_for(db_path, api_token="s3cret"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        for method, path in [("GET", "/v1/curricula"), ("POST", "/v1/curricula"),
                             ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
                             ("GET", "/v1/no-such-route")]:
            r = client.request(method, path)
            assert r.status_code == 401, (method, path)
            assert r.headers["www-authenticate"] == "Bearer"
            assert "missing bearer token" in r.json()["detail"]
        r = client.get("/v1/curricula", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and "wrong" in r.json()["detail"]
        r = client.get("/v1/curricula", headers={"Authorization": "s3cret"})
        assert r.status_code == 401
        ok = {"Authorization": "Bearer s3cret"}
        r = client.post("/v1/curricula", json=curriculum_body("a"), headers=ok)
        assert r.status_code == 201
        assert client.get("/v1/curricula", headers=ok).status_code == 200
        assert client.get("/metrics", headers=ok).status_code == 200


def test_metrics_report_requests_episodes_pending_and_fits(client: TestClient) -> None:
    cid = create(client, "m")
    tasks = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 3}).json()["tasks"]
    client.post(f"/v1/curricula/{cid}/results",
                json={"task_id": tasks[0]["task_id"], "return": 1.0})
    client.post(f"/v1/curricula/{cid}/results", json={"task_id": "nope", "return": 1.0})
    client.post(f"/v1/curricula/{cid}/scores",
                json={"scores": [{"task_id": tasks[0]["task_id"], "score": 0.5}]})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    route = "/v1/curricula/{curriculum_id}/results"
    assert (f'curriculum_http_requests_total{{method="POST",route="{route}",status="200"}} 1.0'
            in text)
    assert (f'curriculum_http_requests_total{{method="POST",route="{route}",status="422"}} 1.0'
            in text)
    assert f'curriculum_http_request_duration_seconds_bucket{{le="0.05",method="POST",route="{route}"}}' in text  # noqa: E501
    for line in ('curriculum_episodes_total{curriculum="m"} 1.0',
                 'curriculum_tasks_total{curriculum="m"} 3.0',
                 'curriculum_pending_tasks{curriculum="m"} 2.0',
                 'curriculum_fits_behind{curriculum="m"} 0.0',
                 'curriculum_fits_coalesced_total{curriculum="m"} 0.0',
                 'curriculum_fits_total{curriculum="m"} 0.0',
                 'curriculum_late_scores_total{curriculum="m"} 1.0',
                 "curriculum_curricula 1.0"):
        assert line in text, line
    for name in ("curriculum_fit_duration_seconds", "curriculum_store_commit_seconds",
                 "curriculum_store_batch_writes"):
        assert f"# TYPE {name} histogram" in text


def test_the_bearer_scheme_is_case_insensitive(db_path: Path) -> None:
    with TestClient(create_app(settings_for(db_path, api_token="s3cret"))) as client:
        for value in ("bearer s3cret", "BEARER s3cret", "Bearer  s3cret"):
            r = client.get("/v1/curricula", headers={"Authorization": value})
            assert r.status_code == 200, (value, r.text)
        for value in ("Basic s3cret", "Bearer", "Bearer ", "Bearers3cret", "Bearer s3cret2"):
            r = client.get("/v1/curricula", headers={"Authorization": value})
            assert r.status_code == 401, value


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_token_is_a_configuration_error(db_path: Path, token: str) -> None:
    with pytest.raises(ValidationError, match="api_token.*CURRICULUM_API_TOKEN.*empty"):
        settings_for(db_path, api_token=token)


def test_the_token_can_come_from_a_file(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-a-file\n")
    settings = settings_for(db_path, api_token_file=path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/curricula").status_code == 401
        ok = {"Authorization": "Bearer from-a-file"}
        assert client.get("/v1/curricula", headers=ok).status_code == 200
    path.write_text("\n")
    with pytest.raises(ValidationError, match="api_token_file.*empty"):
        settings_for(db_path, api_token_file=path)
    with pytest.raises(ValidationError, match="api_token_file.*cannot be read"):
        settings_for(db_path, api_token_file=tmp_path / "missing")
    with pytest.raises(ValidationError, match="not both"):
        settings_for(db_path, api_token="x", api_token_file=tmp_path / "token")


def test_choices_from_the_environment_are_read_in_any_case(db_path: Path) -> None:
    settings = settings_for(db_path, log_level="WARNING", sqlite_synchronous="Full")
    assert (settings.log_level, settings.sqlite_synchronous) == ("warning", "full")
    with pytest.raises(ValidationError, match="log_level"):
        settings_for(db_path, log_level="loud")
