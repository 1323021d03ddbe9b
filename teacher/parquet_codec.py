"""The one Parquet layout of an event log, written by the server and by the analysis package.

One row per event, in seq order; one column per event field:

==================  ===========  ==========================================================
column              type         content
==================  ===========  ==========================================================
``seq``             int64        1, 2, 3, ... (an export from ``after`` starts later)
``type``            string       created / task / result / evaluation / fit / expired / score
``time``            string       ISO 8601 UTC, exactly as in the JSON-lines log
``schema_version``  int32        the event schema version (teacher.SCHEMA_VERSION)
``task_id``         string       task, result, score
``origin``          string       task
``request_id``      string       task (optional)
``seed``            int64        task (optional: the environment seed of the level)
``return``          float64      result, evaluation
``length``          int64        result
``worker``          string       result, evaluation
``score``           float64      result (optional), score
``test_set``        string       evaluation
``step``            int64        evaluation
``mastered``        bool         evaluation
``episode``         int64        fit
``params``          struct       float64 per parameter, in the space's canonical order
``config``          string       created: the configuration as JSON text
``fit``             string       fit: the fit summary as JSON text
``extra``           string       any other field as a JSON object (expired: ``task_ids``,
                                 ``lease_seconds``)
==================  ===========  ==========================================================

A field an event does not have is null. Rebuilding each event's JSON object from its row
(dropping nulls, parsing ``config`` / ``fit`` / ``extra``) gives exactly the JSON-lines
log. The file metadata key ``curriculum_teacher`` is ``events/2`` (the ``seed`` and
``score`` columns came with event schema 4; a file written before has neither, and its
rows read back the same).

:func:`rows_to_objects` also reads the ``events/1`` layout (the four leading columns and a
``payload`` JSON object with every other field) that earlier analysis versions wrote.

pyarrow is imported when a function here is called, never when ``teacher`` is imported.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "LAYOUT",
    "PARQUET_MEDIA_TYPE",
    "SCALAR_COLUMNS",
    "encode_events",
    "events_to_bytes",
    "missing_columns",
    "parquet_schema",
    "read_table",
    "rows_to_objects",
    "write_events",
]

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
LAYOUT = "events/2"
_HEAD = ("seq", "type", "time", "schema_version")
# (column, Arrow type name) before ``params``; the type names are resolved lazily.
SCALAR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "int64"), ("type", "string"), ("time", "string"), ("schema_version", "int32"),
    ("task_id", "string"), ("origin", "string"), ("request_id", "string"), ("seed", "int64"),
    ("return", "float64"), ("length", "int64"), ("worker", "string"), ("score", "float64"),
    ("test_set", "string"), ("step", "int64"), ("mastered", "bool_"), ("episode", "int64"),
)
_JSON_COLUMNS = ("config", "fit")
_KNOWN = {name for name, _ in SCALAR_COLUMNS} | {"params", *_JSON_COLUMNS}


def parquet_schema(param_names: Sequence[str]) -> pa.Schema:
    """The Arrow schema of an event log whose space has these parameter names."""
    import pyarrow as pa

    fields = [pa.field(name, getattr(pa, kind)()) for name, kind in SCALAR_COLUMNS]
    fields.append(pa.field("params", pa.struct([pa.field(n, pa.float64()) for n in param_names])))
    fields += [pa.field(name, pa.string()) for name in (*_JSON_COLUMNS, "extra")]
    return pa.schema(fields, metadata={b"curriculum_teacher": LAYOUT.encode()})


def _param_names(objects: Sequence[dict[str, Any]]) -> list[str]:
    """The parameter names in first-seen order (the created event's space first)."""
    names: dict[str, None] = {}
    for d in objects:
        config = d.get("config")
        if d.get("type") == "created" and isinstance(config, dict):
            space = config.get("space")
            if isinstance(space, dict) and isinstance(space.get("names"), list):
                names.update(dict.fromkeys(str(n) for n in space["names"]))
    for d in objects:
        if isinstance(d.get("params"), dict):
            names.update(dict.fromkeys(d["params"]))
    return list(names)


def encode_events(
    objects: Iterable[dict[str, Any]], param_names: Sequence[str] | None = None
) -> pa.Table:
    """The Arrow table of event JSON objects (``teacher.event_to_json`` form, seq order).

    ``param_names`` gives the order of the ``params`` struct (default: the created event's
    space, then any other name in first-seen order)."""
    import pyarrow as pa

    rows = list(objects)
    schema = parquet_schema(_param_names(rows) if param_names is None else param_names)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for d in rows:
        for name, _ in SCALAR_COLUMNS:
            columns[name].append(d.get(name))
        columns["params"].append(d.get("params"))
        for name in _JSON_COLUMNS:
            columns[name].append(json.dumps(d[name]) if name in d else None)
        extra = {k: v for k, v in d.items() if k not in _KNOWN}
        columns["extra"].append(json.dumps(extra) if extra else None)
    return pa.Table.from_pydict(columns, schema=schema)


def write_events(
    objects: Iterable[dict[str, Any]],
    where: str | os.PathLike[str] | IO[bytes],
    param_names: Sequence[str] | None = None,
) -> None:
    """Write event JSON objects as Parquet to a path or a binary file object."""
    import pyarrow.parquet as pq

    pq.write_table(encode_events(objects, param_names), where, compression="zstd")


def events_to_bytes(
    objects: Iterable[dict[str, Any]], param_names: Sequence[str] | None = None
) -> bytes:
    """The Parquet file of event JSON objects, as bytes."""
    buf = io.BytesIO()
    write_events(objects, buf, param_names)
    return buf.getvalue()


def read_table(source: str | os.PathLike[str] | bytes | IO[bytes], label: str) -> pa.Table:
    """Read a Parquet file; ValueError naming ``label`` if it is not readable Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        return pq.read_table(source)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(
            f"{label}: not a readable Parquet event log (the file may be truncated or "
            f"corrupt): {exc}"
        ) from None


def missing_columns(table: pa.Table) -> list[str]:
    """Columns an event log table needs but lacks (empty if it is one)."""
    names = table.column_names
    wanted = [*_HEAD, "payload"] if "payload" in names else [*_HEAD, "params"]
    return [c for c in wanted if c not in names]


def rows_to_objects(table: pa.Table) -> Iterable[dict[str, Any]]:
    """Each row's event JSON object, in row order (either layout). A row whose JSON text
    is malformed raises ValueError when it is reached."""
    columns = {c: table.column(c).to_pylist() for c in table.column_names}
    to_object = _payload_object if "payload" in columns else _columnar_object
    for i in range(table.num_rows):
        yield to_object(columns, i)


def _payload_object(columns: dict[str, list[Any]], i: int) -> dict[str, Any]:
    payload = columns["payload"][i]
    rest = _json(payload, "payload") if payload is not None else None
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
        if name == "extra":
            extra = _json(v, name)
            if not isinstance(extra, dict):
                raise ValueError(f"column 'extra' must hold a JSON object, got {v!r}")
            d.update(extra)
            continue
        if name in _JSON_COLUMNS and isinstance(v, str):
            v = _json(v, name)
        d[name] = v
    return d


def _json(text: str, column: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"column {column!r} is not valid JSON ({exc.msg})") from None
