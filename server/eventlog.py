"""The event log as Parquet: one row per event, in seq order.

Columns: ``seq`` (int64), ``type``, ``time``, ``schema_version`` (int32); ``task_id``,
``origin``, ``worker``, ``test_set``, ``request_id`` (string); ``return`` (float64),
``length``, ``step``, ``episode`` (int64), ``mastered`` (bool); ``params`` (struct of
float64, one field per parameter in canonical order); ``config`` and ``fit`` (the JSON
objects of ``created`` and ``fit`` events, as text). Fields an event does not have are
null. Rebuilding each event's JSON object from its row gives exactly the JSON-lines log.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from server.store import EventRow

__all__ = ["PARQUET_MEDIA_TYPE", "to_parquet"]

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"

_SCALARS: list[tuple[str, pa.DataType]] = [
    ("seq", pa.int64()),
    ("type", pa.string()),
    ("time", pa.string()),
    ("schema_version", pa.int32()),
    ("task_id", pa.string()),
    ("origin", pa.string()),
    ("request_id", pa.string()),
    ("return", pa.float64()),
    ("length", pa.int64()),
    ("worker", pa.string()),
    ("test_set", pa.string()),
    ("step", pa.int64()),
    ("mastered", pa.bool_()),
    ("episode", pa.int64()),
]


def to_parquet(rows: Sequence[EventRow], param_names: Sequence[str]) -> bytes:
    """Encode stored events (seq order) as a Parquet file."""
    columns: dict[str, list[Any]] = {name: [] for name, _ in _SCALARS}
    params: list[dict[str, float] | None] = []
    config: list[str | None] = []
    fit: list[str | None] = []
    for row in rows:
        d = json.loads(row.body)
        for name, _ in _SCALARS:
            columns[name].append(d.get(name))
        params.append(d.get("params"))
        config.append(json.dumps(d["config"]) if "config" in d else None)
        fit.append(json.dumps(d["fit"]) if "fit" in d else None)
    fields = [pa.field(name, kind) for name, kind in _SCALARS]
    arrays = [pa.array(columns[name], type=kind) for name, kind in _SCALARS]
    params_type = pa.struct([pa.field(n, pa.float64()) for n in param_names])
    fields += [pa.field("params", params_type), pa.field("config", pa.string()),
               pa.field("fit", pa.string())]
    arrays += [pa.array(params, type=params_type), pa.array(config, type=pa.string()),
               pa.array(fit, type=pa.string())]
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()
