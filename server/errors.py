"""Errors raised by the server's domain code (no HTTP here: ``server.handlers`` maps them
to status codes). Bad input to the teacher itself raises ``teacher.TeacherError``."""

from __future__ import annotations

__all__ = [
    "ServerError",
    "CurriculumNotFoundError",
    "TaskNotFoundError",
    "NameConflictError",
    "InvalidRequestError",
    "StoreError",
    "StoreConfigError",
    "UnavailableError",
]


class ServerError(Exception):
    """Base class of the server's domain errors."""


class CurriculumNotFoundError(ServerError):
    """No live curriculum has this id (never created, or deleted)."""


class TaskNotFoundError(ServerError):
    """A late score names a task the curriculum never issued (a result naming one is a
    422, as it always was)."""


class NameConflictError(ServerError):
    """A curriculum with this name exists with a different configuration."""


class InvalidRequestError(ServerError):
    """A request is well-formed but asks for something impossible; names the field."""


class StoreError(ServerError):
    """The event store could not be read or written; nothing of the failed batch was
    stored."""


class StoreConfigError(ServerError):
    """The store URL or its settings are not usable."""


class UnavailableError(ServerError):
    """The service cannot take the request now (starting, stopping, store failed)."""
