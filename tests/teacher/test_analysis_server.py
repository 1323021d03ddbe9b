"""teacher.analysis.load_server against a tiny real HTTP server that speaks the events
contract (a stand-in for the curriculum server, started on a free loopback port)."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from teacher import EventLogError, event_to_json
from teacher.analysis import LogServerError, events_to_parquet, load_log, load_server

TOKEN = "s3cret"


class EventsServer(ThreadingHTTPServer):
    """Serves one curriculum (id ``c-1``, name ``toy``); ``publish`` adds event lines that
    followers receive; ``finish`` ends every follow stream."""

    daemon_threads = True

    def __init__(self, lines: list[str], *, list_form: bool = False):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lines = list(lines)
        self.list_form = list_form
        self.cond = threading.Condition()
        self.done = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def publish(self, lines: list[str]) -> None:
        with self.cond:
            self.lines += lines
            self.cond.notify_all()

    def finish(self) -> None:
        with self.cond:
            self.done = True
            self.cond.notify_all()


class Handler(BaseHTTPRequestHandler):
    server: EventsServer

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, b'{"detail": "bad token"}')
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/v1/curricula":
            items = [{"id": "c-1", "name": "toy", "teacher": "alp-gmm"},
                     {"id": "c-2", "name": "other"}]
            items = [c for c in items if c["name"] == q.get("name", c["name"])]
            body = items if self.server.list_form else {"curricula": items}
            return self._send(200, json.dumps(body).encode())
        if url.path != "/v1/curricula/c-1/events":
            return self._send(404, b'{"detail": "no such curriculum"}')
        after = int(q.get("after", 0))
        with self.server.cond:
            lines = self.server.lines[after:]
        if q.get("format") == "parquet":
            buf = io.BytesIO()
            events_to_parquet([json.loads(x) for x in lines], buf)
            return self._send(200, buf.getvalue(), "application/vnd.apache.parquet")
        if q.get("follow") != "true":
            return self._send(200, "".join(x + "\n" for x in lines).encode(),
                              "application/x-ndjson")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()  # no length: the body ends when the connection closes
        self.wfile.write("".join(x + "\n" for x in lines).encode())
        self.wfile.flush()
        sent = after + len(lines)
        while True:
            with self.server.cond:
                self.server.cond.wait_for(
                    lambda n=sent: self.server.done or len(self.server.lines) > n)
                new, done = self.server.lines[sent:], self.server.done
            if new:
                sent += len(new)
                self.wfile.write("".join(x + "\n" for x in new).encode())
                self.wfile.write(b"\n")  # a keep-alive blank line
                self.wfile.flush()
            if done:
                return


def start(lines, **kw) -> EventsServer:
    srv = EventsServer(lines, **kw)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return srv


@pytest.fixture()
def lines(toy_run):
    return [json.dumps(event_to_json(e)) for e in toy_run.events]


@pytest.fixture()
def server(lines):
    srv = start(lines)
    yield srv
    srv.finish()
    srv.shutdown()
    srv.server_close()


def test_load_by_name_or_id_in_either_format(server, toy_run):
    ref = load_log(toy_run.path)
    for curriculum, fmt in (("toy", "jsonl"), ("c-1", "jsonl"), ("toy", "parquet")):
        log = load_server(server.url + "/", curriculum, token=TOKEN, format=fmt)
        assert log.source == f"{server.url}/v1/curricula/c-1"
        assert [event_to_json(e) for e in log.events] == [event_to_json(e)
                                                          for e in toy_run.events]
        pd.testing.assert_frame_equal(log.results, ref.results)


def test_a_plain_list_of_curricula_is_accepted(lines):
    srv = start(lines, list_form=True)
    try:
        assert len(load_server(srv.url, "toy", token=TOKEN).events) == len(lines)
    finally:
        srv.shutdown()
        srv.server_close()


def test_server_errors_are_clear(server):
    with pytest.raises(LogServerError, match=r"HTTP 401 .*give a valid token") as err:
        load_server(server.url, "toy", token="wrong")
    assert err.value.status == 401
    with pytest.raises(LogServerError, match=r"HTTP 404 .*no such curriculum"):
        load_server(server.url, "nope", token=TOKEN)
    server.finish()
    server.shutdown()
    server.server_close()
    with pytest.raises(LogServerError, match="cannot reach"):
        load_server(server.url, "toy", token=TOKEN, timeout=2)


def test_a_bad_line_from_the_server_names_it(lines):
    srv = start(lines[:5] + ['{"seq": 6, "type": "task"'])
    try:
        with pytest.raises(EventLogError, match=r"c-1: line 6: not valid JSON"):
            load_server(srv.url, "toy", token=TOKEN)
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.timeout(60)
def test_follow_yields_growing_logs_until_the_stream_ends(lines, toy_run):
    first, rest = lines[:150], lines[150:]
    srv = start(first)
    try:
        stream = load_server(srv.url, "toy", token=TOKEN, follow=True)
        log = next(stream)
        assert len(log.events) == 150
        srv.publish(rest[:40])
        seen = [len(log.events)]
        while seen[-1] < 190:
            seen.append(len(next(stream).events))
        assert seen[-1] == 190 and seen == sorted(seen)
        srv.publish(rest[40:])
        while seen[-1] < len(lines):
            log = next(stream)
            seen.append(len(log.events))
        srv.finish()
        assert next(stream, None) is None  # the server closed the stream
        ref = load_log(toy_run.path)
        for name in ("tasks", "results", "evaluations", "fits", "fit_components"):
            pd.testing.assert_frame_equal(getattr(log, name), getattr(ref, name))
    finally:
        srv.finish()
        srv.shutdown()
        srv.server_close()


@pytest.mark.timeout(60)
def test_leaving_a_follow_loop_closes_the_stream(lines):
    srv = start(lines[:-1])
    try:
        stream = load_server(srv.url, "toy", token=TOKEN, follow=True)
        for n, log in enumerate(stream):
            if n == 0:
                srv.publish(lines[-1:])
            else:
                assert len(log.events) == len(lines)
                break
        stream.close()  # what leaving the loop leaves to garbage collection
        assert next(stream, None) is None
    finally:
        srv.finish()
        srv.shutdown()
        srv.server_close()
