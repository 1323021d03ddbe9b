"""Errors raised by the ``envs`` package.

Every error is a :class:`ValueError` subclass, so callers that only care about "bad
input" can catch ``ValueError``; each message names what was wrong, the accepted
range or choices, and the value received.
"""

from __future__ import annotations

__all__ = [
    "InvalidEnvTaskError",
    "UnknownEnvironmentError",
    "UnknownTestSetError",
    "UnknownWalkerError",
]


class InvalidEnvTaskError(ValueError):
    """A task is malformed: unknown or missing parameter, wrong length, value out of range.

    The environment that rejected it keeps its previous task.
    """


class UnknownWalkerError(ValueError):
    """The ``walker`` argument names no known walker body."""


class UnknownEnvironmentError(ValueError):
    """An environment id that this package does not provide."""


class UnknownTestSetError(ValueError):
    """A test-set name that the environment does not ship."""
