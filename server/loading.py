"""Rebuilding a curriculum from the store: its latest snapshot plus the events after it,
or its whole log when there is no usable snapshot."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pydantic_core

from server import snapshots
from server.store import CorruptLogError, CurriculumRecord, EventStore
from teacher import Curriculum, CurriculumConfig, Event, TeacherError, event_from_json

__all__ = ["Loaded", "iter_events", "load_curriculum", "task_id_prefix"]

log = logging.getLogger(__name__)

_CHUNK = 20_000


def task_id_prefix(curriculum_id: str) -> str:
    """Task ids are ``<curriculum id>-<seq>``: unique across the server."""
    return f"{curriculum_id}-"


def iter_events(store: EventStore, curriculum: str, *, after: int = 0) -> Iterator[Event]:
    """The stored events of ``curriculum`` after seq ``after``, parsed, in order."""
    while True:
        rows = store.read_events(curriculum, after=after, limit=_CHUNK)
        for row in rows:
            try:
                yield event_from_json(pydantic_core.from_json(row.body))
            except (ValueError, TeacherError) as exc:
                raise CorruptLogError(
                    curriculum, f"event {row.seq} of curriculum {curriculum!r} is unreadable: {exc}"
                ) from exc
        if len(rows) < _CHUNK:
            return
        after = rows[-1].seq


@dataclass
class Loaded:
    curriculum: Curriculum
    snapshot_seq: int  # seq of the snapshot used (0: none)
    replayed: int  # events applied on top of it


def load_curriculum(store: EventStore, record: CurriculumRecord) -> Loaded:
    """Rebuild ``record``'s curriculum exactly as it was after its last stored event."""
    config = CurriculumConfig.from_json(json.loads(record.config))
    prefix = task_id_prefix(record.id)
    snap = store.latest_snapshot(record.id)
    if snap is not None:
        seq, body = snap
        try:
            cur = snapshots.restore(config, pydantic_core.from_json(body),
                                    task_id_prefix=prefix)
            if cur.seq != seq:
                raise TeacherError(f"snapshot says seq {cur.seq}, stored at {seq}")
        except (TeacherError, ValueError) as exc:
            log.warning("curriculum %s: snapshot at seq %d unusable (%s); replaying the "
                        "whole log", record.id, seq, exc)
        else:
            replayed = 0
            for e in iter_events(store, record.id, after=seq):
                cur.apply(e)
                replayed += 1
            return Loaded(cur, seq, replayed)
    cur = Curriculum.from_events(
        iter_events(store, record.id), fit_mode="defer", task_id_prefix=prefix
    )
    return Loaded(cur, 0, cur.seq)
