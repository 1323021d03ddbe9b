"""Snapshots of a live curriculum: the teacher's ``state_dict()`` plus the curriculum's own
books (seq, pending and reported tasks, counts, mastery), so a restart replays only the
events logged after the snapshot."""

from __future__ import annotations

from typing import Any

from teacher import Curriculum, CurriculumConfig, TeacherError

__all__ = ["SNAPSHOT_FORMAT", "capture", "restore"]

SNAPSHOT_FORMAT = 1


def capture(cur: Curriculum) -> dict[str, Any]:
    """A JSON-serialisable copy of ``cur`` after its event ``cur.seq``; shares nothing
    mutable with it, so it can be encoded later on another thread."""
    return {
        "format": SNAPSHOT_FORMAT,
        "seq": cur.seq,
        "teacher": cur.teacher.state_dict(),
        "pending": dict(cur.pending),  # values are never mutated
        "reported": dict(cur.reported),
        "counts": {
            "tasks": cur.n_tasks, "results": cur.n_results,
            "evaluations": cur.n_evaluations, "fits": cur.n_fits,
        },
        "last_fit_time": cur.last_fit_time,
        "mastery": [[ts, step, m, n] for (ts, step), (m, n) in cur.mastery.items()],
    }


def restore(config: CurriculumConfig, snap: dict[str, Any], *, task_id_prefix: str) -> Curriculum:
    """The curriculum ``snap`` describes (fit_mode ``defer``). Raises TeacherError when
    the snapshot is malformed or belongs to another configuration."""
    if not isinstance(snap, dict) or snap.get("format") != SNAPSHOT_FORMAT:
        got = snap.get("format") if isinstance(snap, dict) else type(snap).__name__
        raise TeacherError(f"snapshot format must be {SNAPSHOT_FORMAT}, got {got!r}")
    cur = Curriculum(config, fit_mode="defer", task_id_prefix=task_id_prefix)
    try:
        cur.teacher.load_state_dict(snap["teacher"])
        cur.seq = int(snap["seq"])
        cur.pending = {str(k): {str(n): float(v) for n, v in p.items()}
                       for k, p in snap["pending"].items()}
        cur.reported = {str(k): float(v) for k, v in snap["reported"].items()}
        counts = snap["counts"]
        cur.n_tasks = int(counts["tasks"])
        cur.n_results = int(counts["results"])
        cur.n_evaluations = int(counts["evaluations"])
        cur.n_fits = int(counts["fits"])
        cur.last_fit_time = snap["last_fit_time"]
        cur.mastery = {(ts, step): [int(m), int(n)] for ts, step, m, n in snap["mastery"]}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TeacherError(f"snapshot is malformed: {type(exc).__name__}: {exc}") from None
    return cur
