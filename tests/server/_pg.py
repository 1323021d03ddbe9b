"""A throwaway PostgreSQL server for the tests.

``CURRICULUM_TEST_PG_URL`` names an existing server: an admin URL of the form
``postgresql://user:password@host:port/dbname`` (the tests create and drop databases).
Otherwise a private cluster is started from the PostgreSQL binaries on this machine
(Debian's ``postgresql`` package; ``make test`` installs it when it can) in a temporary
directory on a free port, as the ``postgres`` user when running as root. Without either,
the PostgreSQL tests are skipped, unless ``CURRICULUM_REQUIRE_PG=1`` (set by ``.ci/run``)
turns that into a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from curriculum.harness import free_port

__all__ = ["pg_server", "fresh_database", "unavailable_reason"]


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parents[1].name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable_reason() -> str | None:
    """Why no PostgreSQL can be had here, or None."""
    if os.environ.get("CURRICULUM_TEST_PG_URL"):
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (the [postgres] extra)"
    if _bindir() is None:
        return "no PostgreSQL server binaries (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another user"
    return None


@contextmanager
def pg_server(*, fsync: bool = False) -> Iterator[str]:
    """Yield an admin URL of a running PostgreSQL server. A private cluster runs with
    ``fsync=off`` unless asked (tests need no power-loss durability; benchmarks do)."""
    url = os.environ.get("CURRICULUM_TEST_PG_URL")
    if url:
        yield url
        return
    bindir = _bindir()
    assert bindir is not None, unavailable_reason()
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="curriculum-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                  f"-c fsync={'on' if fsync else 'off'}", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server of ``admin_url``; dropped afterwards."""
    import psycopg

    name = f"ct_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
