"""Errors raised by the teacher package.

Every error says what was wrong, which field, and what was received. They derive from
``ValueError`` so callers that only know the standard library can still catch them.
"""

from __future__ import annotations


class TeacherError(ValueError):
    """Base class of every error raised on bad input to the teacher package."""


class InvalidSpaceError(TeacherError):
    """A task space definition is malformed (bounds, names)."""


class InvalidTaskError(TeacherError):
    """A task has the wrong shape, is non-finite, or lies outside the space."""


class InvalidReturnError(TeacherError):
    """An episode return is not a finite number."""


class InvalidParameterError(TeacherError):
    """A teacher name or hyper-parameter is unknown or out of range."""


class StateMismatchError(TeacherError):
    """A state dict or fit result belongs to another configuration or is malformed."""


class EventLogError(TeacherError):
    """An event log is malformed. ``line`` is the 1-based line (or position) at fault and
    ``valid_events`` holds every event read successfully before it."""

    def __init__(self, message: str, *, line: int | None = None, valid_events: list | None = None):
        super().__init__(message)
        self.line = line
        self.valid_events = valid_events if valid_events is not None else []


class ReplayDivergedError(TeacherError):
    """Replaying an event log produced a different task than the one logged."""


class UnknownTaskIdError(TeacherError):
    """A result names a task id this curriculum never issued."""


class ResultConflictError(TeacherError):
    """A task id was already reported with a different return."""


class RequestConflictError(TeacherError):
    """A request id was already used for a request asking for a different count."""


class FitError(TeacherError):
    """A mixture could not be fitted to finite parameters (never installed or logged)."""
