"""Errors raised by :mod:`teacher.analysis`.

Malformed logs raise :class:`teacher.errors.EventLogError` (with ``line`` and
``valid_events``), like the core reader; the errors here cover the rest.
"""

from __future__ import annotations

from teacher.errors import TeacherError

__all__ = ["AnalysisError", "LogServerError", "EventLogWarning"]


class AnalysisError(TeacherError):
    """A request the loaded log cannot answer (no fits to plot, episode out of range...)."""


class LogServerError(AnalysisError):
    """The curriculum server could not be reached or refused the request.

    ``status`` is the HTTP status code, or None when no response came back.
    """

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class EventLogWarning(UserWarning):
    """A log was cut at a malformed event and only the valid part before it was loaded."""
