"""Where a training environment gets its next task from, and where results go."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from students.client import Task, TeacherClient

if TYPE_CHECKING:  # the teacher library is imported only by LocalTaskSource itself
    from teacher import Curriculum, JsonlWriter

__all__ = ["TaskSource", "HttpTaskSource", "LocalTaskSource"]


class TaskSource(Protocol):
    """Hands out tasks and takes back finished episodes (``score``: the episode's
    per-episode score, e.g. PLR's positive value loss, None if the student has none)."""

    def next_task(self) -> Task: ...

    def report(self, task: Task, episode_return: float, length: int,
               score: float | None = None) -> None: ...

    def close(self) -> None: ...


_STOP = object()


class HttpTaskSource:
    """Tasks from a teacher server, with at most one task prefetched ahead.

    A background thread sends reports (batched when several are waiting) and prefetches
    the next task, in that order, so the teacher sees results before it is asked for the
    task that follows them and the environment rarely waits on the network. Errors in
    the thread re-raise at the next call. The thread starts on first use, so a source
    can be built in one process and used in another (SubprocVecEnv).
    """

    def __init__(
        self, client: TeacherClient, curriculum_id: str, *, worker: str | None = None,
        close_client: bool = False,
    ):
        self.client = client
        self.close_client = close_client  # close() also closes the client (owned)
        self.curriculum_id = curriculum_id
        self.worker = worker
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._fetched: queue.Queue[Task | BaseException] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._outstanding = 0  # fetches requested and not yet taken
        self.reported = 0

    @staticmethod
    def factory(
        url: str, curriculum_id: str, *, token: str | None = None, worker: str | None = None
    ) -> _HttpSourceFactory:
        """A picklable zero-argument factory for ``CurriculumWrapper``: each environment
        (in a subprocess too) builds its own client and source on first reset."""
        return _HttpSourceFactory(url, curriculum_id, token, worker)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="teacher-io", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            try:
                if job == "fetch":
                    self._fetched.put(self.client.get_tasks(self.curriculum_id, 1)[0])
                    continue
                if isinstance(job, threading.Event):  # flush(): what came before is sent
                    job.set()
                    continue
                batch = [job]
                while True:  # coalesce waiting reports into one request
                    try:
                        nxt = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(nxt, dict):
                        batch.append(nxt)
                    else:
                        self._jobs.put(nxt)  # keep fetch/stop after these reports
                        break
                self.client.report_results(self.curriculum_id, batch)
                self.reported += len(batch)
            except BaseException as exc:  # noqa: BLE001 - surfaced in the caller's thread
                self._error = exc
                self._fetched.put(exc)

    def _raise_pending(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def next_task(self) -> Task:
        self._start()
        self._raise_pending()
        if self._outstanding == 0:
            self._jobs.put("fetch")
            self._outstanding += 1
        got = self._fetched.get()
        self._outstanding -= 1
        if isinstance(got, BaseException):
            self._error = None
            raise got
        self._jobs.put("fetch")  # prefetch one ahead
        self._outstanding += 1
        return got

    def report(self, task: Task, episode_return: float, length: int,
               score: float | None = None) -> None:
        self._start()
        self._raise_pending()
        item: dict[str, Any] = {
            "task_id": task.task_id, "return": float(episode_return), "length": int(length),
        }
        if self.worker:
            item["worker"] = self.worker
        if score is not None:
            item["score"] = float(score)
        self._jobs.put(item)

    def flush(self, timeout: float = 600.0) -> None:
        """Wait until every report queued before this call has been sent (a late score
        for one of them may follow). Raises the thread's error, if any."""
        if self._thread is None:
            return
        self._raise_pending()
        done = threading.Event()
        self._jobs.put(done)
        deadline = time.monotonic() + timeout
        while not done.wait(0.05):
            if self._error is not None or not self._thread.is_alive():
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"reports to {self.client.url} not sent within {timeout} s")
        self._raise_pending()

    def close(self) -> None:
        """Send every queued report, then stop the thread (the prefetched task, if any,
        stays pending on the server)."""
        if self._thread is not None:
            self._jobs.put(_STOP)
            self._thread.join()
            self._thread = None
        if self.close_client:
            self.client.close()
        self._raise_pending()


@dataclass(frozen=True)
class _HttpSourceFactory:
    url: str
    curriculum_id: str
    token: str | None = None
    worker: str | None = None

    def __call__(self) -> HttpTaskSource:
        client = TeacherClient(self.url, token=self.token)
        return HttpTaskSource(client, self.curriculum_id, worker=self.worker,
                              close_client=True)


class LocalTaskSource:
    """Tasks from an in-process curriculum (single process only; fits run inline).

    writer: optional JSON-lines writer that receives every event, so a local run leaves
    the same log a server would.
    """

    def __init__(
        self, curriculum: Curriculum, *, writer: JsonlWriter | None = None,
        worker: str | None = None,
    ):
        self.curriculum = curriculum
        self.writer = writer
        self.worker = worker
        if curriculum.seq == 0:
            self.write_events([curriculum.created_event()])

    def write_events(self, events: list[Any]) -> None:
        """Append events to the log (if any); also used for evaluations."""
        if self.writer is not None:
            self.writer.write_many(events)

    def next_task(self) -> Task:
        (e,) = self.curriculum.issue_tasks(1)
        self.write_events([e])
        return Task(e.task_id, dict(e.params), e.origin, e.seed)

    def report(self, task: Task, episode_return: float, length: int,
               score: float | None = None) -> None:
        from teacher import ResultIn

        out = self.curriculum.report(
            [ResultIn(task.task_id, float(episode_return), int(length), self.worker,
                      None if score is None else float(score))]
        )
        self.write_events(out.events)

    def flush(self) -> None:
        """Reports are applied at once: nothing to wait for."""

    def report_scores(self, scores: list[tuple[str, float]]) -> tuple[int, int]:
        """Late scores ``[(task_id, score), ...]`` of reported tasks, logged like the
        server's; returns (accepted, duplicates)."""
        from teacher import ScoreIn

        out = self.curriculum.report_scores([ScoreIn(tid, float(sc)) for tid, sc in scores])
        self.write_events(out.events)
        return out.accepted, out.duplicates

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
