"""A TCP proxy on loopback in front of PostgreSQL that cuts connections at chosen points
of the wire protocol: just before a COMMIT reaches the database, or just after the
database answered it (the reply is dropped), or by refusing every connection (a database
that is down, seen from the server). Real sockets, a real database behind it.

The client must not negotiate TLS or GSSAPI (``sslmode=disable&gssencmode=disable`` in
the URL the proxy hands out), so that its messages are readable: after the untyped
startup message, each is a type byte and a 4-byte length.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from urllib.parse import urlsplit, urlunsplit

__all__ = ["PgProxy"]

_NEGOTIATIONS = (80877103, 80877104)  # SSLRequest, GSSENCRequest


#: the store's group commit of appends: a prepared statement run outside any transaction
#: block, so executing it commits (server/store/postgres.py, ``_APPEND_STATEMENT``)
_SELF_COMMITTING = b"ct_group_commit"


def _commit_tag(kind: bytes, body: bytes) -> bytes | None:
    """If this client message commits a transaction, the tag of the CommandComplete ('C')
    that answers it: a COMMIT sent as a simple query ('Q') or parsed in the extended
    protocol ('P': statement name, then the query, each NUL-terminated), as psycopg's
    pipeline does; or a Bind ('B': portal, then statement name) of the store's
    self-committing group-commit statement. None for any other message."""
    if kind in (b"Q", b"P"):
        query = body if kind == b"Q" else (
            body.split(b"\0", 2)[1] if body.count(b"\0") >= 2 else b"")
        return b"COMMIT" if query.lstrip().upper().startswith(b"COMMIT") else None
    if kind == b"B" and body.count(b"\0") >= 2:
        statement = body.split(b"\0", 2)[1]
        return b"UPDATE" if statement.startswith(_SELF_COMMITTING) else None
    return None


class PgProxy:
    """Forwards 127.0.0.1:<port> to the database of ``url`` (run in its own thread).

    ``cut("before_commit")`` / ``cut("after_commit")`` arms a one-shot cut of the next
    COMMIT; ``down()`` drops every connection and refuses new ones until ``up()``.
    ``cuts`` counts the cuts made.
    """

    def __init__(self, url: str):
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._url = parts
        self._loop = asyncio.new_event_loop()
        self._armed: str | None = None
        self._down = False
        self._then_down = False
        self._writers: set[asyncio.StreamWriter] = set()
        self.cuts = 0
        self.port = 0
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the proxy did not start")

    @property
    def url(self) -> str:
        netloc = f"{self._url.username or 'postgres'}@127.0.0.1:{self.port}"
        query = "sslmode=disable&gssencmode=disable"
        return urlunsplit(self._url._replace(netloc=netloc, query=query))

    # -- control (any thread) -----------------------------------------------------------
    def cut(self, where: str, *, then_down: bool = False) -> None:
        """Cut the next commit ``where``; ``then_down``: and go down at that moment."""
        assert where in ("before_commit", "after_commit")
        self._then_down = then_down
        self._armed = where

    def down(self) -> None:
        self._down = True
        self._loop.call_soon_threadsafe(self._drop_all)

    def up(self) -> None:
        self._down = False

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._drop_all)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # -- the proxy (its own loop) ---------------------------------------------------------
    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()
        server.close()

    def _drop_all(self) -> None:
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    async def _serve(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        if self._down:
            c_writer.transport.abort()
            return
        try:
            s_reader, s_writer = await asyncio.open_connection(*self._target)
        except OSError:
            c_writer.transport.abort()
            return
        self._writers |= {c_writer, s_writer}
        watch_commit: bytes | None = None  # a commit went through: cut at this reply

        async def client_to_server() -> None:
            nonlocal watch_commit
            # untyped startup messages (a negotiation request is answered with one byte)
            while True:
                head = await c_reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                s_writer.write(head + await c_reader.readexactly(length - 8))
                if code not in _NEGOTIATIONS:
                    break
            while True:
                head = await c_reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await c_reader.readexactly(length - 4)
                tag = _commit_tag(kind, body) if self._armed else None
                if tag is not None and self._armed:
                    where, self._armed = self._armed, None
                    self.cuts += 1
                    if self._then_down:
                        self._down = True
                    if where == "before_commit":
                        return  # dropped: the transaction never commits
                    watch_commit = tag
                s_writer.write(head + body)
                await s_writer.drain()

        async def server_to_client() -> None:
            while True:
                head = await s_reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await s_reader.readexactly(length - 4)
                if watch_commit and kind == b"C" and body.startswith(watch_commit):
                    return  # committed: its answer is dropped
                c_writer.write(head + body)
                await c_writer.drain()

        tasks = [asyncio.ensure_future(client_to_server()),
                 asyncio.ensure_future(server_to_client())]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if watch_commit and not tasks[1].done():  # wait (bounded) for the COMMIT's answer
            with contextlib.suppress(Exception):
                await asyncio.wait_for(tasks[1], 10)
        for t in tasks:
            t.cancel()
        for w in (c_writer, s_writer):
            w.transport.abort()
            self._writers.discard(w)
        if self._down:  # a cut with then_down: the whole database went away
            self._drop_all()
