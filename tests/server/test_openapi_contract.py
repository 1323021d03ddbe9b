"""The OpenAPI document matches the server (issue #15.5): every error answer is documented
with the string ``detail`` the server sends, the bearer scheme is declared, and ``OPTIONS``
and 405 answers list every method of a path."""

from __future__ import annotations

from typing import Any

from _server_testlib import create
from fastapi.testclient import TestClient


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items()
            for method, op in ops.items()]


def test_every_error_answer_is_documented_as_the_error_shape(shared_client: TestClient) -> None:
    spec = shared_client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["properties"]["detail"]["type"] == "string"
    for path, method, op in operations(spec):
        codes = op["responses"]
        for code, answer in codes.items():
            if int(code) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
        expected = {"503"} if path != "/metrics" else set()
        if path != "/healthz":
            expected.add("401")
        if "requestBody" in op:
            expected |= {"413", "415", "422"}
        if "{curriculum_id}" in path:
            expected.add("404")
        assert expected <= set(codes), (method, path, sorted(codes))


def test_the_bearer_scheme_is_declared_on_every_path_but_healthz(
    shared_client: TestClient,
) -> None:
    spec = shared_client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, method, op in operations(spec):
        assert op.get("security") == (None if path == "/healthz" else [{"bearer": []}]), (
            method, path)


def test_options_and_405_list_every_method_of_the_path(shared_client: TestClient) -> None:
    cid = create(shared_client, "allow")
    r = shared_client.options(f"/v1/curricula/{cid}")
    assert r.status_code == 204
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "DELETE", "OPTIONS"} <= allowed and "POST" not in allowed
    r = shared_client.put(f"/v1/curricula/{cid}", json={})
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
    assert isinstance(r.json()["detail"], str)
    r = shared_client.options("/v1/curricula")
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["allow"].split(",")}
    assert shared_client.options("/v1/nowhere").status_code == 404
    for method in allowed - {"OPTIONS"}:  # every method listed is answered (no 405)
        assert shared_client.request(method, f"/v1/curricula/{cid}").status_code != 405


def test_dict_keys_keep_their_value_schema(shared_client: TestClient) -> None:
    """A space's keys have a pattern (no NUL): the document must still say what the values
    are, and which keys are allowed (pydantic's patternProperties said neither)."""
    spec = shared_client.get("/openapi.json").json()
    space = spec["components"]["schemas"]["CurriculumCreate"]["properties"]["space"]
    assert "patternProperties" not in space
    assert space["additionalProperties"]["maxItems"] == 2
    assert space["propertyNames"]["pattern"] == "^[^\\u0000]*$"


def test_unknown_paths_stay_404_for_every_method(shared_client: TestClient) -> None:
    for method in ("GET", "POST", "DELETE", "PUT", "OPTIONS"):
        r = shared_client.request(method, "/v1/no-such-route")
        assert r.status_code == 404, (method, r.status_code)
