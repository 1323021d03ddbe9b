"""Domain errors to HTTP status codes, and one JSON error shape for every response:
``{"detail": "<field>: <problem>", "errors": [...]}`` (``errors`` only on 422s from
request validation)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from server.errors import (
    CurriculumNotFoundError,
    InvalidRequestError,
    NameConflictError,
    ServerError,
    StoreConfigError,
    StoreError,
    TaskNotFoundError,
    UnavailableError,
)
from server.openapi import allowed_methods
from teacher import (
    EventLogError,
    ReplayDivergedError,
    RequestConflictError,
    ResultConflictError,
    StateMismatchError,
    TeacherError,
)

__all__ = ["install_handlers", "status_of", "validation_detail"]

log = logging.getLogger(__name__)

_STATUS: dict[type[Exception], int] = {
    CurriculumNotFoundError: 404,
    TaskNotFoundError: 404,
    NameConflictError: 409,
    InvalidRequestError: 422,
    StoreError: 503,
    StoreConfigError: 500,
    UnavailableError: 503,
    ResultConflictError: 409,
    RequestConflictError: 409,
    # Integrity problems of the server's own log are not the client's fault.
    ReplayDivergedError: 500,
    EventLogError: 500,
    StateMismatchError: 500,
    TeacherError: 422,  # every other bad input to the teacher
}

_MAX_LISTED = 5


def status_of(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def _loc_text(loc: Sequence[Any]) -> str:
    parts = list(loc)
    where = ""
    if parts and parts[0] in ("query", "path", "header"):
        where = f" ({parts.pop(0)} parameter)"
    elif parts and parts[0] == "body":
        parts.pop(0)
    text = ""
    previous: Any = None
    for p in parts:
        if p == previous and isinstance(p, str):  # a union tag named like its field
            continue
        previous = p
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return (text or "body") + where


def validation_detail(errors: Sequence[Any]) -> str:
    """One line naming each invalid field and its problem."""
    items = []
    for e in errors[:_MAX_LISTED]:
        if e.get("type") == "json_invalid":
            pos = e["loc"][-1] if e.get("loc") else "?"
            reason = (e.get("ctx") or {}).get("error", "malformed")
            items.append(f"body: invalid JSON at character {pos} ({reason})")
        else:
            items.append(f"{_loc_text(e.get('loc', ()))}: {e.get('msg', 'invalid')}")
    more = len(errors) - _MAX_LISTED
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return JSONResponse(
        status_code=422,
        content={
            "detail": validation_detail(errors),
            "errors": [
                {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                 "type": str(e.get("type", ""))}
                for e in errors
            ],
        },
    )


# FastAPI's answer when the body is JSON its decoder raised on with something other than a
# JSONDecodeError (the decoder's exception is the HTTPException's __cause__).
_UNPARSABLE_BODY = "There was an error parsing the body"


def undecodable_detail(cause: BaseException | None) -> str:
    """Why a body the JSON decoder gave up on cannot be read, in the client's terms."""
    if isinstance(cause, UnicodeDecodeError):
        bad = cause.object[cause.start:cause.start + 1]
        return (f"body: not valid UTF-8 (byte 0x{bad.hex()} at position {cause.start}); "
                "send JSON encoded as UTF-8")
    if isinstance(cause, RecursionError):
        return "body: the JSON is nested too deeply to decode"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return (f"body: a number has more than {sys.get_int_max_str_digits()} digits; "
                "integers must fit in int64")
    name = type(cause).__name__ if cause is not None else "unknown error"
    return f"body: the JSON could not be decoded ({name})"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        return JSONResponse(status_code=422,
                            content={"detail": undecodable_detail(exc.__cause__)})
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # Starlette lists the methods of the first matching route only
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return JSONResponse(
        status_code=exc.status_code, content={"detail": str(exc.detail)}, headers=headers,
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    if status >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.url.path,
                  type(exc).__name__, exc)
    return JSONResponse(status_code=status, content={"detail": str(exc)})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=500,
        content={"detail": f"internal server error ({type(exc).__name__}); see the server log"},
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ServerError, _domain_error)
    app.add_exception_handler(TeacherError, _domain_error)
    app.add_exception_handler(Exception, _unexpected)
