"""Errors raised by the student side."""

from __future__ import annotations


class StudentError(Exception):
    """Base class of the students package's errors."""


class TeacherUnreachableError(StudentError):
    """The teacher server did not answer within the retry budget."""


class TeacherRequestError(StudentError):
    """The teacher server rejected a request (4xx). ``status`` and ``detail`` say why."""

    def __init__(self, message: str, *, status: int, detail: object = None):
        super().__init__(message)
        self.status = status
        self.detail = detail


class InvalidConfigError(StudentError, ValueError):
    """A student configuration value is invalid (names the option and the value)."""
