"""A PostgreSQL database that is not UTF8 is refused at start-up, naming its encoding
(issue #22: SQL_ASCII made the server crash-loop on a baffling schema mismatch)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from server.errors import StoreError
from server.store.postgres import PostgresStore


def test_a_non_utf8_database_is_refused_naming_its_encoding(pg_admin_url: str) -> None:
    import psycopg

    name = f"ct_ascii_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
                    "LC_CTYPE 'C' TEMPLATE template0")
    url = urlunsplit(urlsplit(pg_admin_url)._replace(path=f"/{name}"))
    try:
        with pytest.raises(StoreError, match="has encoding 'SQL_ASCII'; the store needs UTF8"):
            PostgresStore(url)
        with psycopg.connect(url) as con:  # nothing was created in it
            assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                               ).fetchone() == (0,)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
