"""Reading a curriculum's event log from the server, once or following it live.

Contract: ``GET {url}/v1/curricula?name=NAME`` lists curricula (a list, or
``{"curricula": [...]}``, of objects with ``id`` and ``name``);
``GET {url}/v1/curricula/{id}/events?format=jsonl|parquet&after=SEQ&follow=false|true``
returns the events with seq > SEQ, one :func:`teacher.event_to_json` object per line
(``follow=true`` keeps the response open and streams new lines). Bearer-token auth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import quote

from teacher.analysis._check import check_order
from teacher.analysis._frames import LogBuilder
from teacher.analysis._log import CurriculumLog
from teacher.analysis._parquet import events_from_parquet
from teacher.analysis.errors import LogServerError
from teacher.errors import EventLogError, TeacherError
from teacher.events import Event, event_from_json, iter_jsonl

if TYPE_CHECKING:
    import httpx

__all__ = ["load_server"]


@overload
def load_server(url: str, curriculum: str, *, token: str | None = ...,
                follow: Literal[False] = ..., format: str = ...,
                timeout: float = ...) -> CurriculumLog: ...
@overload
def load_server(url: str, curriculum: str, *, token: str | None = ...,
                follow: Literal[True], format: str = ...,
                timeout: float = ...) -> Iterator[CurriculumLog]: ...
def load_server(
    url: str, curriculum: str, *, token: str | None = None, follow: bool = False,
    format: str = "jsonl", timeout: float = 30.0,
) -> CurriculumLog | Iterator[CurriculumLog]:
    """Load a curriculum's log from the server at ``url`` (e.g. ``http://host:8000``).

    curriculum: its name or id (a name is looked up first; a name shared by several
    curricula is an error listing their ids). token: sent as ``Authorization: Bearer``.
    format: ``"jsonl"`` or ``"parquet"`` (ignored when following).

    follow=False returns a :class:`CurriculumLog`. follow=True returns an iterator: first
    the log as it stands, then an updated log each time new events arrive (a full log
    each time; ``log.events[-1].seq`` tells how far it goes). It blocks while the
    curriculum is idle and ends when the server closes the stream; stop early with
    ``break`` (the connection is closed). Problems with the server raise
    :class:`LogServerError`; a malformed event raises :class:`teacher.EventLogError`.
    """
    if format not in ("jsonl", "parquet"):
        raise LogServerError(f"format must be 'jsonl' or 'parquet', got {format!r}")
    if follow:
        return _follow(url, curriculum, token, timeout)
    with _client(url, token, timeout) as client:
        cid = _resolve(client, curriculum)
        events = _fetch(client, cid, format)
    return CurriculumLog.from_events(events, source=_source(url, cid))


def _client(url: str, token: str | None, timeout: float) -> httpx.Client:
    try:
        import httpx
    except ImportError:  # pragma: no cover - the [analysis] extra installs it
        raise LogServerError("loading from a server needs httpx: "
                             "pip install 'curriculum-teacher[analysis]'") from None
    headers = {"Accept": "application/x-ndjson, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)


def _source(url: str, cid: str) -> str:
    return f"{url.rstrip('/')}/v1/curricula/{cid}"


def _get(client: httpx.Client, path: str, params: dict[str, Any], what: str) -> httpx.Response:
    import httpx

    try:
        r = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise LogServerError(f"cannot reach {client.base_url} ({what}): {exc}") from None
    _check(r, what)
    return r


def _check(r: httpx.Response, what: str) -> None:
    if r.status_code < 400:
        return
    body = r.text[:300]  # streamed responses are read before they get here
    hint = {401: " (give a valid token=)", 403: " (the token may not read this curriculum)",
            404: " (no such curriculum: check its name or id)"}
    raise LogServerError(
        f"{what}: HTTP {r.status_code} from {r.request.url}{hint.get(r.status_code, '')}: "
        f"{body}", status=r.status_code,
    )


def _resolve(client: httpx.Client, curriculum: str) -> str:
    """The id of the curriculum called (or identified by) ``curriculum``."""
    if not isinstance(curriculum, str) or not curriculum:
        raise LogServerError(f"curriculum must be a non-empty name or id, got {curriculum!r}")
    try:
        r = _get(client, "/v1/curricula", {"name": curriculum}, "listing curricula")
    except LogServerError as exc:
        if exc.status in (None, 401, 403):
            raise
        return curriculum  # no usable listing: take it as an id
    try:
        listed = r.json()
    except ValueError:
        return curriculum
    items = listed.get("curricula", []) if isinstance(listed, dict) else listed
    items = [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
    if any(str(c.get("id")) == curriculum for c in items):
        return curriculum
    named = [str(c.get("id")) for c in items if c.get("name") == curriculum]
    if len(named) > 1:
        raise LogServerError(
            f"{len(named)} curricula are named {curriculum!r} (ids {named}); pass an id"
        )
    return named[0] if named else curriculum


def _events_path(cid: str) -> str:
    return f"/v1/curricula/{quote(cid, safe='')}/events"


def _fetch(client: httpx.Client, cid: str, format: str) -> list[Event]:
    what = f"reading the events of curriculum {cid!r}"
    r = _get(client, _events_path(cid), {"format": format, "after": 0, "follow": "false"}, what)
    if format == "parquet":
        return events_from_parquet(r.content, name=_source(str(client.base_url), cid))
    try:
        return list(iter_jsonl(r.text.splitlines()))
    except EventLogError as exc:
        raise EventLogError(f"{_source(str(client.base_url), cid)}: {exc}", line=exc.line,
                            valid_events=exc.valid_events) from None


def _follow(url: str, curriculum: str, token: str | None, timeout: float
            ) -> Iterator[CurriculumLog]:
    import httpx

    with _client(url, token, timeout) as client:
        cid = _resolve(client, curriculum)
        source = _source(url, cid)
        events = _fetch(client, cid, "jsonl")
        if not events:
            raise EventLogError(f"{source}: the log is empty (no 'created' event)", line=1)
        builder = LogBuilder(events[0])
        for e in events[1:]:
            builder.add(e)
        yield CurriculumLog.from_builder(builder, source=source)
        params: dict[str, str | int] = {
            "format": "jsonl", "after": builder.last_seq, "follow": "true",
        }
        try:
            with client.stream("GET", _events_path(cid), params=params,
                               timeout=httpx.Timeout(timeout, read=None)) as r:
                if r.status_code >= 400:
                    r.read()
                _check(r, f"following curriculum {cid!r}")
                buffer = ""
                for chunk in r.iter_text():
                    buffer += chunk
                    *lines, buffer = buffer.split("\n")
                    added = _add_lines(builder, lines, source)
                    if added:
                        yield CurriculumLog.from_builder(builder, source=source)
        except httpx.HTTPError as exc:
            raise LogServerError(f"the stream from {source} failed: {exc}") from None


def _add_lines(builder: LogBuilder, lines: list[str], source: str) -> int:
    added = 0
    for line in lines:
        if not line.strip():
            continue  # keep-alive
        seq = builder.last_seq + 1
        try:
            event = event_from_json(json.loads(line))
            check_order(event, seq)
        except json.JSONDecodeError as exc:
            raise EventLogError(f"{source}: event {seq}: not valid JSON ({exc.msg})",
                                line=seq, valid_events=list(builder.events)) from None
        except (ValueError, TeacherError) as exc:
            raise EventLogError(f"{source}: event {seq}: {exc}", line=seq,
                                valid_events=list(builder.events)) from None
        builder.add(event)
        added += 1
    return added
