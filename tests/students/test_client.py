import contextlib
import socket
import threading
import time

import pytest

from students import (
    InvalidConfigError,
    TeacherClient,
    TeacherRequestError,
    TeacherUnreachableError,
)
from tests.students.conftest import free_port


def test_unreachable_server_fails_clearly_after_the_retry_budget():
    url = f"http://127.0.0.1:{free_port()}"
    client = TeacherClient(url, retries=3, backoff=0.05)
    started = time.monotonic()
    expected = rf"teacher server {url} unreachable.*4 times"
    with pytest.raises(TeacherUnreachableError, match=expected):
        client.get_tasks("abc")
    assert time.monotonic() - started >= 0.05 + 0.1 + 0.2


def test_the_whole_contract_round_trip(server):
    with TeacherClient(server) as client:
        assert client.health()
        info = client.create_curriculum(
            "c1", teacher="alp-gmm", space={"a": (0, 1), "b": (0, 2)},
            teacher_params={"fit_rate": 4}, reward_bounds=(0, 1), mastery_threshold=0.5, seed=1,
        )
        cid = info["id"]
        again = client.create_curriculum(
            "c1", teacher="alp-gmm", space={"a": (0, 1), "b": (0, 2)},
            teacher_params={"fit_rate": 4}, reward_bounds=(0, 1), mastery_threshold=0.5, seed=1,
        )
        assert again["id"] == cid
        with pytest.raises(TeacherRequestError) as conflict:
            client.create_curriculum("c1", teacher="random", space={"a": (0, 1)})
        assert conflict.value.status == 409
        tasks = client.get_tasks(cid, 10)
        assert len({t.task_id for t in tasks}) == 10 and tasks[0].origin == "bootstrap"
        results = [{"task_id": t.task_id, "return": 0.1 * i} for i, t in enumerate(tasks)]
        assert client.report_results(cid, results) == (10, 0)
        assert client.report_results(cid, results[:3]) == (0, 3)  # idempotent re-send
        client.report_evaluations(cid, [{"params": {"a": 0.1, "b": 0.1}, "return": 0.9,
                                         "test_set": "t", "step": 5}])
        # Fits run in another process and install at the first request after they finish.
        deadline = time.monotonic() + 30
        while client.get_curriculum(cid)["counts"]["fits"] < 1:
            assert time.monotonic() < deadline, "no fit was installed"
            client.get_tasks(cid, 1)
            time.sleep(0.05)
        status = client.get_curriculum(cid)
        assert status["counts"]["results"] == 10
        events = client.events(cid)
        assert events[0]["type"] == "created" and [e["seq"] for e in events] == list(
            range(1, len(events) + 1)
        )
        assert client.events(cid, after=len(events) - 1)[0]["seq"] == len(events)
        assert [c["id"] for c in client.list_curricula("c1")] == [cid]
        with pytest.raises(TeacherRequestError) as bad:
            client.report_results(cid, [{"task_id": "nope", "return": 1.0}])
        assert bad.value.status in (404, 422)


def test_bad_input_is_rejected_before_sending_naming_the_field():
    client = TeacherClient(f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(InvalidConfigError, match=r"results\.0\.return.*finite"):
        client.report_results("c", [{"task_id": "t1", "return": float("nan")}])
    with pytest.raises(InvalidConfigError, match="count"):
        client.get_tasks("c", 0)
    with pytest.raises(InvalidConfigError, match=r"space"):
        client.create_curriculum("x", teacher="alp-gmm", space={})


class DropFirstTasksAnswer:
    """A loopback TCP proxy to the server that closes the connection instead of passing
    on the answer to the first ``POST .../tasks``: the server issued the tasks, the client
    never heard of them (a lost answer)."""

    def __init__(self, upstream: str):
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.dropped = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            up = socket.create_connection(self.upstream)
            asked = threading.Event()
            threading.Thread(target=self._pump, args=(conn, up, asked, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, conn, asked, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, asked: threading.Event,
              answers: bool) -> None:
        try:
            while data := src.recv(65536):
                if not answers and b"/tasks HTTP" in data:
                    asked.set()
                if answers and asked.is_set():
                    asked.clear()
                    with self.lock:
                        drop = self.dropped == 0
                        self.dropped += drop
                    if drop:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()


def test_a_task_request_whose_answer_is_lost_is_retried_with_its_request_id(server):
    proxy = DropFirstTasksAnswer(server)
    try:
        with TeacherClient(proxy.url, retries=3, backoff=0.05) as client:
            cid = client.create_curriculum("lost", space={"x": (0.0, 1.0)}, teacher="random",
                                           teacher_params={})["id"]
            tasks = client.get_tasks(cid, 3)
            assert proxy.dropped == 1  # the first answer never arrived
            counts = client.get_curriculum(cid)["counts"]
            assert counts["tasks"] == 3 and counts["pending"] == 3
            assert [t.task_id for t in tasks] == [
                e["task_id"] for e in client.events(cid) if e["type"] == "task"]
    finally:
        proxy.close()
