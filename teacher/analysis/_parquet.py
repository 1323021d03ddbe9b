"""Event logs as Parquet files: typed events in and out of the one layout that
:mod:`teacher.parquet_codec` defines (and documents) for the server and this package.

The reader also loads the ``events/1`` layout (four leading columns and a ``payload``
JSON object) that earlier versions of this module wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO, Any

from teacher.analysis._check import check_order
from teacher.errors import EventLogError, TeacherError
from teacher.events import Event, event_from_json, event_to_json
from teacher.parquet_codec import (
    missing_columns,
    parquet_schema,
    read_table,
    rows_to_objects,
    write_events,
)

__all__ = ["events_to_parquet", "events_from_parquet", "PARQUET_SCHEMA"]

# The layout's columns before ``params`` (whose struct fields depend on the space).
PARQUET_SCHEMA = parquet_schema([])

Source = str | os.PathLike[str] | bytes | IO[bytes]


def events_to_parquet(
    events: Iterable[Event | dict[str, Any]], where: str | os.PathLike[str] | IO[bytes]
) -> None:
    """Write events (typed, or objects in :func:`teacher.event_to_json` form) as Parquet
    to a path or a binary file object."""
    write_events((dict(e) if isinstance(e, dict) else event_to_json(e) for e in events), where)


def events_from_parquet(source: Source, *, name: str | None = None) -> list[Event]:
    """Read a Parquet event log (written by :func:`events_to_parquet` or the server).

    A file that is not readable Parquet (truncated, corrupt) raises EventLogError with
    ``line=None``; a bad row raises EventLogError whose ``line`` is the 1-based row and
    whose ``valid_events`` holds every event before it.
    """
    label = name or (os.fspath(source) if isinstance(source, str | os.PathLike) else "parquet")
    try:
        table = read_table(source, label)
    except ValueError as exc:
        raise EventLogError(str(exc)) from None
    missing = missing_columns(table)
    if missing:
        raise EventLogError(
            f"{label}: Parquet column {missing[0]!r} is missing; an event log has columns "
            f"{PARQUET_SCHEMA.names}, this file has {table.column_names}"
        )
    events: list[Event] = []
    objects = iter(rows_to_objects(table))
    for row in range(1, table.num_rows + 1):
        try:
            event = event_from_json(next(objects))
            check_order(event, len(events) + 1)
        except (ValueError, TeacherError) as exc:
            raise EventLogError(
                f"{label}: row {row}: {exc}", line=row, valid_events=events
            ) from None
        events.append(event)
    return events
