"""Event logs as Parquet: one row per event, lossless.

Column layout (the server writes the same with :func:`events_to_parquet`):

========================  ========  ===================================================
column                    type      content
========================  ========  ===================================================
``seq``                   int64     1, 2, 3, ... without gaps
``type``                  string    created / task / result / evaluation / fit / expired
``time``                  string    ISO 8601 UTC, exactly as in the JSON-lines log
``schema_version``        int32     the event schema version (teacher.SCHEMA_VERSION)
``payload``               string    JSON object of every other field of the event
========================  ========  ===================================================

Row ``i`` holds the same object as line ``i`` of the JSON-lines log once ``payload`` is
merged back; the file metadata key ``curriculum_teacher`` is ``events/1``.

The reader also accepts the *columnar* layout the server writes without this package:
the same four leading columns, then one column per event field (``task_id``, ``origin``,
``return``, ``length``, ``worker``, ``test_set``, ``step``, ``mastered``, ``episode``), a
``params`` struct and ``config`` / ``fit`` as JSON text; null where an event has no value.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from teacher.analysis._check import check_order
from teacher.errors import EventLogError, TeacherError
from teacher.events import Event, event_from_json, event_to_json

__all__ = ["events_to_parquet", "events_from_parquet", "PARQUET_SCHEMA"]

_HEAD = ("seq", "type", "time", "schema_version")
PARQUET_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("type", pa.string()),
        ("time", pa.string()),
        ("schema_version", pa.int32()),
        ("payload", pa.string()),
    ],
    metadata={b"curriculum_teacher": b"events/1"},
)

Source = str | os.PathLike[str] | bytes | IO[bytes]


def events_to_parquet(
    events: Iterable[Event | dict[str, Any]], where: str | os.PathLike[str] | IO[bytes]
) -> None:
    """Write events (typed, or objects in :func:`teacher.event_to_json` form) as Parquet
    to a path or a binary file object."""
    cols: dict[str, list[Any]] = {name: [] for name in PARQUET_SCHEMA.names}
    for e in events:
        d = dict(e) if isinstance(e, dict) else event_to_json(e)
        for name in _HEAD:
            cols[name].append(d.pop(name, None))
        cols["payload"].append(json.dumps(d, allow_nan=False))
    table = pa.Table.from_pydict(cols, schema=PARQUET_SCHEMA)
    pq.write_table(table, where)


def events_from_parquet(source: Source, *, name: str | None = None) -> list[Event]:
    """Read a Parquet event log written by :func:`events_to_parquet`.

    A file that is not readable Parquet (truncated, corrupt) raises EventLogError with
    ``line=None``; a bad row raises EventLogError whose ``line`` is the 1-based row and
    whose ``valid_events`` holds every event before it.
    """
    label = name or (os.fspath(source) if isinstance(source, str | os.PathLike) else "parquet")
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        table = pq.read_table(source)
    except (pa.ArrowException, OSError) as exc:
        raise EventLogError(
            f"{label}: not a readable Parquet event log (the file may be truncated or "
            f"corrupt): {exc}"
        ) from None
    names = table.column_names
    wanted = PARQUET_SCHEMA.names if "payload" in names else [*_HEAD, "params"]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise EventLogError(
            f"{label}: Parquet column {missing[0]!r} is missing; an event log has columns "
            f"{PARQUET_SCHEMA.names} (or the server's columnar layout), this file has {names}"
        )
    columns = {c: table.column(c).to_pylist() for c in names}
    to_object = _row_object if "payload" in names else _columnar_object
    events: list[Event] = []
    for i in range(table.num_rows):
        row = i + 1
        try:
            d = to_object(columns, i)
            event = event_from_json(d)
            check_order(event, len(events) + 1)
        except (ValueError, TeacherError) as exc:
            raise EventLogError(
                f"{label}: row {row}: {exc}", line=row, valid_events=events
            ) from None
        events.append(event)
    return events


def _row_object(columns: dict[str, list[Any]], i: int) -> dict[str, Any]:
    payload = columns["payload"][i]
    try:
        rest = json.loads(payload) if payload is not None else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"payload is not valid JSON ({exc.msg})") from None
    if not isinstance(rest, dict):
        raise ValueError(f"payload must be a JSON object, got {payload!r}")
    d = {k: v for k, v in rest.items() if k not in _HEAD}
    for name in _HEAD:
        if columns[name][i] is not None:
            d[name] = columns[name][i]
    return d


def _columnar_object(columns: dict[str, list[Any]], i: int) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for name, values in columns.items():
        v = values[i]
        if v is None:
            continue  # a field the event does not have, or an optional one left empty
        if name in ("config", "fit") and isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError as exc:
                raise ValueError(f"column {name!r} is not valid JSON ({exc.msg})") from None
        d[name] = v
    return d
