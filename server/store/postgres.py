"""The deployment event store: PostgreSQL through psycopg 3 (the ``[postgres]`` extra).

Same tables and semantics as the SQLite store. Durability is PostgreSQL's: with
``synchronous_commit=on`` (PostgreSQL's default) a committed batch survives the server
process, the database server and a power loss; with ``off`` a database crash may lose the
last few hundred milliseconds of commits (never a server-process crash).

One connection writes (the group-commit writer calls ``write`` from its own thread, so the
round trip never blocks the event loop); each reading thread gets its own connection. A
connection that broke (database restart) is replaced at the next call. A batch of appends
is one self-committing prepared statement sent in one blocking call (see
:meth:`PostgresStore._write_appends` for why); other batches are a transaction sent in
pipeline mode. Either way a batch costs one round trip.

A lost connection during a write leaves its outcome unknown: the COMMIT may have been
applied with only its reply lost. Every write transaction therefore also stores a fresh
token in ``meta``; after a connection error the store reconnects and reads the token back:
present, the batch committed and ``write`` returns normally; absent, nothing was stored
and the batch is retried once on the new connection. Only when the database cannot be
reached at all does ``write`` fail with the outcome unknown (the server then rebuilds the
curricula concerned from the store before their next request).

A server's claim on the store is a session advisory lock held by the writing connection
itself; PostgreSQL releases it when that session ends (the server exits or is killed, or
the database restarts). Whenever the writing connection is replaced, the claim is taken
again before anything is written; if another server took it meanwhile, writes fail
(naming it) instead of interleaving two servers' events. That session asks for TCP
keepalives every 30 s, so the claim of a server whose host vanished ends within ~1 min.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import conninfo, pq

from server.errors import StoreError
from server.store.base import (
    SCHEMA_VERSION,
    AppendOp,
    Op,
    SQLStore,
    check_schema_version,
    event_crc,
)

__all__ = ["PostgresStore", "safe_url"]
#: advisory lock keys: schema creation (per transaction) and a server's claim (per session)
_SCHEMA_LOCK, _CLAIM_LOCK = 7283001, 7283002

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS curricula (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config TEXT NOT NULL,
        created TEXT NOT NULL,
        position BIGINT GENERATED ALWAYS AS IDENTITY
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        curriculum TEXT NOT NULL,
        seq BIGINT NOT NULL,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        crc BIGINT,
        PRIMARY KEY (curriculum, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS snapshots (
        curriculum TEXT NOT NULL,
        seq BIGINT NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (curriculum, seq)
    )""",
]


#: The group commit of appends as one statement (see :meth:`PostgresStore._write_appends`):
#: rows as newline-separated text columns and comma-separated numbers, unpacked by
#: PostgreSQL, plus the commit token. A lone statement outside a transaction block is its
#: own transaction, committed (and, with synchronous_commit=on, flushed) before its reply.
_APPEND_STATEMENT = b"ct_group_commit_v1"
_APPEND_SQL = (
    b"WITH appended AS (INSERT INTO events (curriculum, seq, type, body, crc) "
    b"SELECT * FROM unnest(string_to_array($1, E'\\n'), string_to_array($2, ',')::bigint[], "
    b"string_to_array($3, E'\\n'), string_to_array($4, E'\\n'), "
    b"string_to_array($5, ',')::bigint[])) "
    b"UPDATE meta SET value = $6 WHERE key = 'commit'"
)


def _append_columns(ops: Sequence[Op]) -> list[bytes] | None:
    """The parameters of :data:`_APPEND_SQL` for a batch of appends (without the token),
    or None when the batch holds other operations or a text the packing cannot carry (a
    newline or NUL, an empty string): such a batch takes the general path, which stores
    or refuses it statement by statement."""
    cids: list[str] = []
    seqs: list[str] = []
    types: list[str] = []
    bodies: list[str] = []
    crcs: list[str] = []
    for op in ops:
        if not isinstance(op, AppendOp):
            return None
        for e in op.events:
            cids.append(op.curriculum)
            seqs.append(str(e.seq))
            types.append(e.type)
            bodies.append(e.body)
            crcs.append(str(event_crc(op.curriculum, e.seq, e.type, e.body)))
    if not bodies:
        return None
    texts = ["\n".join(cids), "\n".join(types), "\n".join(bodies)]
    for text, column in zip(texts, (cids, types, bodies), strict=True):
        if "\0" in text or text.count("\n") != len(column) - 1 or not all(column):
            return None
    return [texts[0].encode(), ",".join(seqs).encode(), texts[1].encode(), texts[2].encode(),
            ",".join(crcs).encode()]


def safe_url(url: str) -> str:
    """``url`` without its password, for logs and error messages."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://<unparsable URL>"
    host, db = params.get("host", "localhost"), params.get("dbname", "")
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    return f"postgresql://{user}{host}{port}/{db}"


class PostgresStore(SQLStore):
    """An :class:`EventStore` in a PostgreSQL database (tables created if missing).

    url: a libpq URL, ``postgresql://user:password@host:port/dbname``.
    connect_timeout: seconds to wait for the database when connecting.
    """

    placeholder = "%s"
    insert_curriculum = "INSERT INTO curricula (id, name, config, created) VALUES (?, ?, ?, ?)"
    upsert_snapshot = (
        "INSERT INTO snapshots (curriculum, seq, body) VALUES (?, ?, ?) "
        "ON CONFLICT (curriculum, seq) DO UPDATE SET body = EXCLUDED.body"
    )
    driver_error = psycopg.Error
    data_errors = (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError,
                   psycopg.NotSupportedError)
    driver_name = "PostgreSQL"
    write_off_loop = True
    #: commit batches of appends as one statement (False: as every other batch, in
    #: pipeline mode; benchmarks/bench_pg_commit.py compares the two)
    single_statement_appends = True

    def __init__(self, url: str, *, connect_timeout: float = 10.0):
        self.url = url
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._all_lock = threading.Lock()
        self._prepared: object | None = None  # the pgconn holding _APPEND_STATEMENT
        self._claimed = False  # claimed at startup: keep (re)taking it before writes
        self._lost_claim = False  # the writing session that held the claim ended
        self._writer = self._connect()
        self._check_encoding()
        try:
            with self._writer.transaction():
                # One schema creation at a time, even with several servers starting.
                self._writer.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._writer.execute(_SCHEMA[0])
                row = self._writer.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                for statement in check_schema_version(row and row[0], SCHEMA_VERSION,
                                                      safe_url(url)):
                    self._writer.execute(statement)
                for statement in _SCHEMA[1:]:
                    self._writer.execute(statement)
                self._writer.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', %s) ON CONFLICT (key) "
                    "DO UPDATE SET value = EXCLUDED.value", (SCHEMA_VERSION,))
                self._writer.execute(
                    "INSERT INTO meta (key, value) VALUES ('probe', ''), ('commit', '') "
                    "ON CONFLICT (key) DO NOTHING")
            setting = self._writer.execute("SHOW synchronous_commit").fetchone()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot prepare the PostgreSQL store {safe_url(url)}: {exc}") \
                from exc
        sync = setting[0] if setting else "unknown"
        self.durability = (
            f"database crash and power loss (PostgreSQL, synchronous_commit={sync})"
            if sync in ("on", "remote_write", "remote_apply")
            else f"server-process crash (PostgreSQL, synchronous_commit={sync})"
        )

    def _check_encoding(self) -> None:
        """Refuse a database whose encoding is not UTF8: text comes back as bytes from
        SQL_ASCII, which used to surface later as a baffling schema mismatch."""
        try:
            row = self._writer.execute("SHOW server_encoding").fetchone()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot read the encoding of {safe_url(self.url)}: {exc}") from exc
        encoding = row[0] if row else None
        if isinstance(encoding, bytes):
            encoding = encoding.decode("ascii", "replace")
        if str(encoding).upper().replace("-", "") != "UTF8":
            self.close()
            raise StoreError(
                f"the PostgreSQL database of {safe_url(self.url)} has encoding {encoding!r}; "
                "the store needs UTF8: create the database with ENCODING 'UTF8' (e.g. "
                "CREATE DATABASE curricula ENCODING 'UTF8' TEMPLATE template0, or "
                "POSTGRES_INITDB_ARGS=--encoding=UTF8 for the postgres image)"
            )

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            con = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)),
                application_name="curriculum-teacher",
            )
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the PostgreSQL store {safe_url(self.url)}: {exc}"
            ) from exc
        with self._all_lock:
            self._all.append(con)
        return con

    def _usable(self, con: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        """``con``, or a new connection if it broke."""
        if not con.closed and not con.broken:
            return con
        with self._all_lock:
            if con in self._all:
                self._all.remove(con)
        return self._connect()

    def _broken(self, con: Any) -> bool:
        return bool(con.broken or con.closed)

    def _reader(self) -> psycopg.Connection[Any]:
        con: psycopg.Connection[Any] | None = getattr(self._local, "con", None)
        con = self._connect() if con is None else self._usable(con)
        self._local.con = con
        return con

    # -- the claim ------------------------------------------------------------------------
    def _try_claim(self) -> bool:
        try:
            self._claimed = self._take_claim(self._writer)
        except psycopg.Error as exc:
            raise StoreError(f"cannot claim the PostgreSQL store {safe_url(self.url)}: {exc}") \
                from exc
        return self._claimed

    @staticmethod
    def _take_claim(con: psycopg.Connection[Any]) -> bool:
        # A server whose host vanished (no FIN) loses its claim within ~1 min instead of
        # the OS's keepalive default of 2 hours.
        for name, value in (("idle", 30), ("interval", 10), ("count", 3)):
            con.execute(f"SET tcp_keepalives_{name} = {value}")
        row = con.execute("SELECT pg_try_advisory_lock(%s)", (_CLAIM_LOCK,)).fetchone()
        return bool(row and row[0])

    def claim_held(self) -> bool:
        return self._claimed and not self._lost_claim and not self._writer.broken

    def _claim_holder(self) -> str:
        try:
            row = self._reader().execute(
                "SELECT a.pid, a.client_addr, a.application_name FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = 0 AND l.objid = %s AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                (_CLAIM_LOCK,),
            ).fetchone()
        except (psycopg.Error, StoreError):
            row = None
        if row is None:
            return "holder unknown"
        return f"database session pid {row[0]} from {row[1] or 'a local socket'}, {row[2]!r}"

    def _writing_connection(self) -> psycopg.Connection[Any]:
        """The writing connection, replaced if it broke. A server that claimed the store
        takes the claim again on a replacement before writing anything; if another process
        holds it now, every write fails naming it until the claim is back."""
        con = self._usable(self._writer)
        if con is not self._writer:
            self._writer = con
            self._lost_claim = self._claimed
        if self._lost_claim:
            try:
                held = self._take_claim(con)
            except psycopg.Error as exc:
                raise StoreError(f"the PostgreSQL store could not be written: {exc}") from exc
            if not held:
                raise StoreError(
                    f"{self!r} lost its claim when its database session ended and another "
                    f"process holds it now ({self._claim_holder()}); this server does not "
                    "write while it lacks the claim: stop one of the two servers"
                )
            self._lost_claim = False
        return con

    # -- writes ---------------------------------------------------------------------------
    def write(self, ops: Sequence[Op]) -> None:
        token = secrets.token_hex(8)
        appends = _append_columns(ops) if self.single_statement_appends else None
        for attempt in (1, 2):
            con = self._writing_connection()
            try:
                if appends is not None:
                    self._write_appends(con, appends, token)
                    return
                # Pipeline mode: the statements and the COMMIT go out together, one round
                # trip per batch.
                with con.pipeline(), con.transaction(), con.cursor() as cur:
                    self._execute(cur, ops)
                    cur.execute("UPDATE meta SET value = %s WHERE key = 'commit'", (token,))
                return
            except psycopg.Error as exc:
                if not (con.broken or con.closed):
                    raise self._write_error(exc) from exc
                lost = exc
            # The connection went: the batch may or may not have committed.
            try:
                row = self._writing_connection().execute(
                    "SELECT value FROM meta WHERE key = 'commit'").fetchone()
            except (psycopg.Error, StoreError) as exc:
                raise StoreError(
                    f"the PostgreSQL store could not be written: the connection was lost "
                    f"({lost}) and the database cannot be reached to learn whether the "
                    f"batch committed ({exc})"
                ) from exc
            if row and row[0] == token:
                return  # committed; only the reply was lost
            if attempt == 2:
                raise StoreError(f"the PostgreSQL store could not be written: {lost}") \
                    from lost

    def _write_appends(self, con: psycopg.Connection[Any], columns: list[bytes],
                       token: str) -> None:
        """Commit a batch of appends with one prepared statement, in one blocking libpq
        call. The writer thread runs next to a busy event loop; every time it wakes up it
        must win the GIL back from the loop, which can take a whole switch interval (5 ms).
        psycopg's pipeline wakes it several times per batch (sending, each result, the
        COMMIT); one blocking call releases the GIL once, for the round trip, and takes it
        back once. Raises ``psycopg.Error`` like ``execute`` would."""
        pgconn = con.pgconn
        if self._prepared is not pgconn:
            result = pgconn.prepare(_APPEND_STATEMENT, _APPEND_SQL)
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise psycopg.errors.error_from_result(result)
            self._prepared = pgconn
        result = pgconn.exec_prepared(_APPEND_STATEMENT, [*columns, token.encode()])
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(result)

    def __repr__(self) -> str:
        return f"PostgresStore({safe_url(self.url)!r})"
