"""Snapshots of a live curriculum: the teacher's ``state_dict()`` plus the curriculum's own
books (seq, pending and reported tasks, counts, mastery), so a restart replays only the
events logged after the snapshot."""

from __future__ import annotations

from typing import Any

from teacher import Curriculum, CurriculumConfig, TeacherError

__all__ = ["SNAPSHOT_FORMAT", "capture", "restore"]

SNAPSHOT_FORMAT = 2


def capture(cur: Curriculum) -> dict[str, Any]:
    """A JSON-serialisable copy of ``cur`` after its event ``cur.seq``; shares nothing
    mutable with it, so it can be encoded later on another thread."""
    return {"format": SNAPSHOT_FORMAT, "curriculum": cur.state_dict()}


def restore(config: CurriculumConfig, snap: dict[str, Any], *, task_id_prefix: str) -> Curriculum:
    """The curriculum ``snap`` describes (fit_mode ``defer``). Raises TeacherError when
    the snapshot is malformed or belongs to another configuration."""
    if not isinstance(snap, dict) or snap.get("format") != SNAPSHOT_FORMAT:
        got = snap.get("format") if isinstance(snap, dict) else type(snap).__name__
        raise TeacherError(f"snapshot format must be {SNAPSHOT_FORMAT}, got {got!r}")
    if not isinstance(snap.get("curriculum"), dict):
        raise TeacherError("snapshot is malformed: no curriculum state")
    cur = Curriculum.from_state_dict(
        snap["curriculum"], fit_mode="defer", task_id_prefix=task_id_prefix
    )
    if cur.config != config.resolved():  # a log from before defaults were recorded
        raise TeacherError(
            f"snapshot is for configuration {cur.config.to_json()}, "
            f"the curriculum has {config.to_json()}"
        )
    return cur
