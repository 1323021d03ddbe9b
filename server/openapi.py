"""The OpenAPI document as the server behaves, and ``OPTIONS`` answered from the routes.

FastAPI documents each route's own answers; the edge (authentication, the body guard, an
unavailable service) and our single error shape apply to every route, so they are added
here, in one place: every error is ``ErrorOut`` with a string ``detail``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from starlette.routing import Match, Route
from starlette.types import Scope

__all__ = ["install_openapi", "allowed_methods", "OPEN_PATHS"]

#: Paths that never need the bearer token.
OPEN_PATHS = frozenset({"/healthz"})

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_WITHOUT_SERVICE = frozenset({"/metrics"})

_EDGE: dict[str, str] = {
    "401": "missing or wrong bearer token (only when the server has a token)",
    "413": "request body larger than CURRICULUM_MAX_BODY_BYTES",
    "415": "request body sent with a Content-Type other than application/json",
    "422": "invalid request: `detail` names each field and its problem; `errors` lists them",
    "503": "the service is starting or stopping, or the event store failed (retry later)",
    "404": "no curriculum has this id",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with the edge's answers and the bearer scheme."""
    spec = get_openapi(title=app.title, version=app.version, summary=app.summary,
                       description=app.description, routes=app.routes)
    _key_patterns_as_property_names(spec)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    spec["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http", "scheme": "bearer",
            "description": "Required on every path but /healthz when the server is started "
                           "with a token (CURRICULUM_API_TOKEN or --token-file); the scheme "
                           "name is matched in any case.",
        },
    }
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            wanted = []
            if path not in OPEN_PATHS:
                operation["security"] = [{"bearer": []}]
                wanted.append("401")
            if "requestBody" in operation:
                wanted += ["413", "415"]
            if "requestBody" in operation or operation.get("parameters"):
                wanted.append("422")
            if "{curriculum_id}" in path:
                wanted.append("404")
            if path not in _WITHOUT_SERVICE:
                wanted.append("503")
            for code in wanted:
                described = responses.get(code, {}).get("description")
                keep = described not in (None, "Validation Error", "Successful Response")
                responses[code] = _error(described if keep else _EDGE[code])
    return spec


def _key_patterns_as_property_names(node: Any) -> None:
    """Pydantic writes a dict whose keys have a pattern as ``patternProperties``, which
    lets keys that do not match through with any value; the server rejects them, so the
    pattern belongs to ``propertyNames`` and the value schema to ``additionalProperties``."""
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1:
            (pattern, values), = patterns.items()
            del node["patternProperties"]
            node["additionalProperties"] = values
            node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        for value in node.values():
            _key_patterns_as_property_names(value)
    elif isinstance(node, list):
        for value in node:
            _key_patterns_as_property_names(value)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this request's path."""
    methods: set[str] = set()
    scope = {**request.scope, "method": "GET"}
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and "OPTIONS" not in route.methods:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                methods |= route.methods
    return sorted(methods | {"OPTIONS"}) if methods else []


class _OptionsRoute(Route):
    """Matches OPTIONS requests only: for other methods it is no match at all, not the
    partial match that would turn every unknown path's 404 into a 405."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("method") != "OPTIONS":
            return Match.NONE, {}
        return super().matches(scope)


async def _options(request: Request) -> Response:
    methods = allowed_methods(request)
    if not methods:
        return Response(b'{"detail":"Not Found"}', status_code=404,
                        media_type="application/json")
    return Response(status_code=204, headers={"Allow": ", ".join(methods)})


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`document` as /openapi.json and answer ``OPTIONS`` on every path."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(document(app))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]
    app.router.routes.append(
        _OptionsRoute("/{path:path}", _options, methods=["OPTIONS"], include_in_schema=False)
    )
