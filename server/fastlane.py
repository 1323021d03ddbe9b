"""A shorter path for the student loop: well-formed ``POST .../tasks`` and ``.../results``
requests skip FastAPI's request handling.

Each student round trip is one of each, and with the teacher and the store as cheap as they
are, FastAPI's generic handling of a request (dependency solving, body field bookkeeping,
the Request and Response objects) was the largest single part of the event loop's time.
:class:`FastLane` sits where the app's router is called (inside the exception middleware,
so errors are answered by the app's handlers, as for any route) and, for a request one of
its lanes matches, does what FastAPI would: read the body, decode it with ``json.loads``,
validate it with the route's own body type, call the same answer function as the route
(``server.routes.episodes``) and send its JSON with the same headers.

A request it cannot vouch for goes to FastAPI unchanged, its body replayed: no
Content-Type (FastAPI decides how to read such a body), a body that does not decode or
validate (FastAPI words those errors). What is answered differs in nothing but the time
it takes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.deps import service_of_app
from server.middleware import is_json_media_type
from server.service import CurriculumService

__all__ = ["FastLane", "Lane"]

# FastAPI's words when reading the body fails for any reason but a JSON decoding error.
_UNREADABLE_BODY = "There was an error parsing the body"


@dataclass(frozen=True)
class Lane:
    """One route served by the fast lane.

    route: the FastAPI route (its path and methods decide which requests the lane takes;
    the router would pick it for them). body: a TypeAdapter of the route's body
    annotation; an empty body is validated as None, as FastAPI reads a missing body.
    answer: (service, curriculum_id, validated body) -> the JSON answer, the function the
    route answers with.
    """

    route: APIRoute
    body: TypeAdapter[Any]
    answer: Callable[[CurriculumService, str, Any], Awaitable[bytes]]


class FastLane:
    """ASGI wrapper of the app's router (see the module docstring). ``served`` and
    ``handed_over`` count the requests its lanes matched that it answered itself and that
    it gave to FastAPI."""

    def __init__(self, app: ASGIApp, lanes: Sequence[Lane]):
        self.app = app
        self.lanes = tuple(lanes)
        self.served = self.handed_over = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            for lane in self.lanes:
                match, child = lane.route.matches(scope)
                if match is Match.FULL:
                    await self._serve(lane, child, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, lane: Lane, child: Scope, scope: Scope, receive: Receive,
                     send: Send) -> None:
        body = await _read_body(receive)
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
        try:
            if content_type is None or not is_json_media_type(content_type.decode("latin-1")):
                raise ValueError("no JSON Content-Type")
            value = lane.body.validate_python(json.loads(body) if body else None,
                                              from_attributes=True)
        except Exception:  # no or another Content-Type, bad JSON, invalid: FastAPI's to word
            self.handed_over += 1
            await self.app(scope, _replay(body, receive), send)
            return
        self.served += 1
        scope.update(child)  # as the router does: route, endpoint, path_params
        service = service_of_app(scope["app"])
        answer = await lane.answer(service, scope["path_params"]["curriculum_id"], value)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode("latin-1")),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer})


async def _read_body(receive: Receive) -> bytes:
    """The whole request body; a client gone before it ended is FastAPI's 400."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPException(status_code=400, detail=_UNREADABLE_BODY) from ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for an app that reads the already read ``body`` again."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
