"""The test suite's PostgreSQL helpers, for the benchmarks that need a private server:
``tests/server/_pg.py`` (a throwaway cluster) and ``tests/server/_proxy.py`` (a loopback
proxy that can cut connections). They live with the tests, which import them by bare
name; here they are loaded from their files, without touching ``sys.path``."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

__all__ = ["postgres_url", "test_helper"]

_DIR = Path(__file__).resolve().parents[1] / "tests" / "server"


def test_helper(name: str) -> ModuleType:
    """The module ``tests/server/<name>.py`` (``_pg`` or ``_proxy``)."""
    key = f"benchmarks._tests_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, _DIR / f"{name}.py")
        if spec is None or spec.loader is None:
            raise ImportError(f"no test helper {name!r} in {_DIR}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@contextlib.contextmanager
def postgres_url(what: str = "row") -> Iterator[str | None]:
    """A fresh database on a private PostgreSQL server (default settings, fsync on)
    started like the test suite's, or None (said on stderr) where none can be started."""
    pg = test_helper("_pg")
    if pg.unavailable_reason() is not None:
        print(f"no PostgreSQL {what}: {pg.unavailable_reason()}", file=sys.stderr)
        yield None
        return
    with pg.pg_server(fsync=True) as admin, pg.fresh_database(admin) as url:
        yield url
