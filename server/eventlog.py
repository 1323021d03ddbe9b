"""The event log as Parquet: stored events encoded with the teacher library's one codec
(:mod:`teacher.parquet_codec`, which documents the columns)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from server.store import EventRow
from teacher.parquet_codec import PARQUET_MEDIA_TYPE, events_to_bytes

__all__ = ["PARQUET_MEDIA_TYPE", "to_parquet"]


def to_parquet(rows: Sequence[EventRow], param_names: Sequence[str]) -> bytes:
    """Encode stored events (seq order) as a Parquet file; ``params`` is a struct in the
    space's canonical order."""
    return events_to_bytes((json.loads(row.body) for row in rows), param_names)
