"""Order checks shared by every reader: events are numbered 1, 2, ... and only the first
is ``created`` (the same rules as :func:`teacher.events.iter_jsonl`)."""

from __future__ import annotations

from teacher.events import CreatedEvent, Event


def check_order(event: Event, expected_seq: int) -> None:
    """Raise ValueError if ``event`` cannot be the event numbered ``expected_seq``."""
    if event.seq != expected_seq:
        raise ValueError(
            f"seq must be {expected_seq} (events are numbered from 1 without gaps), "
            f"got {event.seq}"
        )
    if (event.seq == 1) != isinstance(event, CreatedEvent):
        raise ValueError(
            f"the first event, and only it, must be 'created', got {event.type!r}"
        )
