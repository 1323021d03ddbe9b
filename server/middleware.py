"""Pure ASGI middleware at the edge: bearer-token authentication and the request body guard
(JSON only, size limit). Both answer with the same JSON error shape as the routes."""

from __future__ import annotations

import hmac

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TokenAuthMiddleware", "BodyLimitMiddleware", "BodyTooLargeError", "is_json_media_type"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters ignored."""
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class TokenAuthMiddleware:
    """Every HTTP request except ``open_paths`` needs ``Authorization: Bearer <token>``
    (the scheme in any case, RFC 7235; the token compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str, open_paths: frozenset[str] = frozenset()):
        if not token:
            raise ValueError("the API token must not be empty")
        self.app = app
        self.expected = token.encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        given = b""
        for key, value in scope["headers"]:
            if key == b"authorization":
                given = value
                break
        scheme, _, credentials = given.partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(b" "),
                                                               self.expected):
            await self.app(scope, receive, send)
            return
        problem = "missing" if not given else "wrong"
        response = JSONResponse(
            {"detail": f"Authorization: {problem} bearer token; send "
                       "'Authorization: Bearer <token>' (CURRICULUM_API_TOKEN on the server)"},
            status_code=401, headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)


class BodyTooLargeError(HTTPException):
    def __init__(self, limit: int):
        super().__init__(
            status_code=413,
            detail=f"body: request body is larger than the limit of {limit} bytes "
                   "(CURRICULUM_MAX_BODY_BYTES); send fewer items per request",
        )


def _unsupported_media_type(content_type: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"Content-Type: request bodies must be application/json, got "
                   f"{content_type[:100]!r}"},
        status_code=415, headers={"Accept-Post": "application/json"},
    )


class BodyLimitMiddleware:
    """Refuses a request body sent as anything but JSON with 415 (a request without a
    Content-Type is read as JSON), and bodies over ``max_bytes`` with 413: at once when
    Content-Length says so, otherwise while the body is read."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in _BODY_METHODS:
            for key, value in scope["headers"]:
                if key == b"content-type":
                    content_type = value.decode("latin-1")
                    if not is_json_media_type(content_type):
                        await _unsupported_media_type(content_type)(scope, receive, send)
                        return
                    break
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    error = BodyTooLargeError(self.max_bytes)
                    response = JSONResponse({"detail": error.detail}, status_code=413,
                                            headers={"Connection": "close"})
                    await response(scope, receive, send)
                    return
                await self.app(scope, receive, send)  # the server enforces Content-Length
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
