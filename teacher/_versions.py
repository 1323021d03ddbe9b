"""Hyper-parameter versions of a teacher class, and migrating older ones to today's.

Every teacher class has ``params_version`` (1 for the first release of its
hyper-parameters) and ``param_migrations``: for each version N before today's, the
hyper-parameters version N+1 added, each with the value that reproduces how version N
behaved (usually "off"). Saved states and logged configurations record their version;
loading one of version N applies the migrations N, N+1, ... in turn, so it continues
exactly as it ran, while a new configuration always takes today's defaults.

Records written before versions existed carry none. Their version is inferred once,
at load time, by :func:`infer_version`: such a record that names every hyper-parameter
of version 1 was written out in full (states always are; logged configurations are
since defaults were recorded), so it is of the newest version whose hyper-parameters
it names all of. One that does not (a configuration listing only what its creator gave)
is read with today's defaults, as it always was.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from teacher.errors import StateMismatchError

__all__ = ["check_table", "infer_version", "migrate", "names_of_version"]

#: version N -> {hyper-parameter added in N+1: the value that reproduces version N}
Migrations = Mapping[int, Mapping[str, Any]]


def check_table(owner: str, version: int, migrations: Migrations, names: Collection[str]) -> None:
    """Raise TypeError unless ``migrations`` has one entry per version 1..version-1, each
    adding at least one of ``names`` and no name twice (a programming error, found at
    import)."""
    if sorted(migrations) != list(range(1, version)):
        raise TypeError(
            f"{owner}: param_migrations must have keys 1..{version - 1} for params_version "
            f"{version}, got {sorted(migrations)}"
        )
    seen: set[str] = set()
    for n in sorted(migrations):
        added = set(migrations[n])
        if not added or not added <= set(names) or added & seen:
            raise TypeError(
                f"{owner}: param_migrations[{n}] must add new hyper-parameters of this "
                f"teacher, got {sorted(added)}"
            )
        seen |= added


def names_of_version(names: Collection[str], migrations: Migrations, version: int) -> set[str]:
    """The hyper-parameter names version ``version`` had (today's are ``names``)."""
    later = {k for n, added in migrations.items() if n >= version for k in added}
    return set(names) - later


def infer_version(
    params: Mapping[str, Any], names: Collection[str], migrations: Migrations, current: int
) -> int:
    """The version of ``params`` recorded before versions existed (module docstring)."""
    given = set(params)
    if not names_of_version(names, migrations, 1) <= given:
        return current
    return max(v for v in range(1, current + 1)
               if names_of_version(names, migrations, v) <= given)


def migrate(
    params: Mapping[str, Any], version: int, migrations: Migrations, current: int, *,
    owner: str,
) -> dict[str, Any]:
    """``params`` of ``version`` as today's version: each later hyper-parameter they lack
    gets the value that reproduces ``version``. Raises StateMismatchError for a version
    this code does not know."""
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= current:
        raise StateMismatchError(
            f"params_version of {owner!r} must be an integer in 1..{current}, got {version!r}"
        )
    out = dict(params)
    for n in range(version, current):
        for name, value in migrations[n].items():
            out.setdefault(name, value)
    return out
