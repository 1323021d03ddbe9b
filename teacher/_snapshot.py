"""A curriculum's snapshot: its books as a JSON value, and older snapshots upgraded.

Format versions: 2 added ``requests`` (a version-1 state, from before request ids, has
none); 3 added ``issued``, ``expired`` and ``evaluated`` (leases, idempotent
evaluations); 4 added ``scorable`` and the count of late scores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from teacher.errors import TeacherError
from teacher.leases import keys_from_json, keys_to_json

if TYPE_CHECKING:
    from teacher.curriculum import Curriculum

__all__ = ["STATE_FORMAT_VERSION", "write", "read", "upgrade"]

STATE_FORMAT_VERSION = 4


def write(cur: Curriculum) -> dict[str, Any]:
    """``cur`` after event ``seq`` as a value that shares nothing mutable with it."""
    return {
        "format_version": STATE_FORMAT_VERSION,
        "config": cur.config.to_json(),
        "seq": cur.seq,
        "teacher": cur.teacher.state_dict(),
        "pending": {k: dict(v) for k, v in cur.pending.items()},
        "reported": dict(cur.reported),
        "requests": cur.requests.to_json(),
        "issued": dict(cur.issued),
        "expired": {k: dict(v) for k, v in cur.expired.items()},
        "n_expired": cur.n_expired,
        "evaluated": keys_to_json(cur.evaluated),
        "scorable": cur.scorable.to_json(),
        "counts": {"tasks": cur.n_tasks, "results": cur.n_results,
                   "evaluations": cur.n_evaluations, "fits": cur.n_fits,
                   "scores": cur.n_scores},
        "last_fit_time": cur.last_fit_time,
        "mastery": [[ts, step, m, n] for (ts, step), (m, n) in cur.mastery.items()],
    }


def upgrade(state: Any, clock: Callable[[], str]) -> dict[str, Any]:
    """``state`` of any known format as the current format; TeacherError otherwise."""
    if isinstance(state, dict) and state.get("format_version") == 1:
        state = {**state, "format_version": 2, "requests": []}  # no request ids then
    if isinstance(state, dict) and state.get("format_version") == 2:
        # No issue times then: their leases start when the state is loaded.
        state = {**state, "format_version": 3, "expired": {}, "n_expired": 0,
                 "issued": {k: clock() for k in state.get("pending", {})},
                 "evaluated": []}
    if isinstance(state, dict) and state.get("format_version") == 3:
        # No scores then: the results before it cannot take a late score.
        state = {**state, "format_version": 4, "scorable": [],
                 "counts": {**state.get("counts", {}), "scores": 0}}
    if not isinstance(state, dict) or state.get("format_version") != STATE_FORMAT_VERSION:
        got = state.get("format_version") if isinstance(state, dict) else type(state).__name__
        raise TeacherError(
            f"curriculum state format_version must be {STATE_FORMAT_VERSION} (or 1 to 3), "
            f"got {got!r}"
        )
    return state


def read(cur: Curriculum, state: dict[str, Any]) -> None:
    """Load the books of a current-format ``state`` into ``cur``, a fresh curriculum of
    its configuration (KeyError, TypeError or ValueError if malformed)."""
    cur.teacher.load_state_dict(state["teacher"])
    cur.seq = int(state["seq"])
    cur.pending = {str(k): {str(n): float(v) for n, v in p.items()}
                   for k, p in state["pending"].items()}
    cur.reported = {str(k): float(v) for k, v in state["reported"].items()}
    cur.requests.load_json(state["requests"])
    cur.issued = {str(k): str(v) for k, v in state["issued"].items()}
    cur.expired = {str(k): {str(n): float(v) for n, v in p.items()}
                   for k, p in state["expired"].items()}
    cur.n_expired = int(state["n_expired"])
    cur.evaluated = keys_from_json(state["evaluated"])
    cur.scorable.load_json(state["scorable"])
    counts = state["counts"]
    cur.n_tasks = int(counts["tasks"])
    cur.n_results = int(counts["results"])
    cur.n_evaluations = int(counts["evaluations"])
    cur.n_fits = int(counts["fits"])
    cur.n_scores = int(counts["scores"])
    cur.last_fit_time = state["last_fit_time"]
    cur.mastery = {(ts, step): [int(m), int(n)] for ts, step, m, n in state["mastery"]}
