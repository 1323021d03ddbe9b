"""HTTP client for the teacher service (the whole ``/v1`` contract)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic

from server import schemas
from students.errors import InvalidConfigError, TeacherRequestError, TeacherUnreachableError

_log = logging.getLogger("students.client")

__all__ = ["Task", "TeacherClient"]


@dataclass(frozen=True)
class Task:
    """A task issued by the teacher: ``params`` maps parameter names to values; ``seed``
    is the environment seed the teacher chose with it (reset the environment with it: it
    regenerates the level, e.g. one PLR replays), None to seed as you like."""

    task_id: str
    params: dict[str, float]
    origin: str
    seed: int | None = None


class TeacherClient:
    """Talks to a teacher server.

    Connection errors, timeouts and 5xx answers are retried with exponential backoff
    (``retries`` attempts after the first, starting at ``backoff`` seconds, doubling, at
    most ``max_backoff``). Reports are idempotent on the server (a task id re-sent with
    the same return is acknowledged as a duplicate), so a retried report never counts
    twice; so are task requests: each carries a fresh request id (a UUID, an identifier
    that never influences which tasks are drawn) and its retries the same one, so a
    request whose answer was lost gets the same tasks again and leaves no extra pending
    task. A 4xx answer raises :class:`TeacherRequestError` at once.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 8,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
    ):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TeacherClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        # Picklable for SubprocVecEnv: the HTTP connection pool is rebuilt on the other side.
        return {k: v for k, v in self.__dict__.items() if k != "_http"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=self.timeout)

    # -- transport ---------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        delay = self.backoff
        last: str = ""
        started = time.monotonic()
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code < 500:
                    if resp.status_code >= 400:
                        detail = _detail(resp)
                        raise TeacherRequestError(
                            f"{method} {path} -> {resp.status_code}: {detail}",
                            status=resp.status_code, detail=detail,
                        )
                    return resp
                last = f"HTTP {resp.status_code}: {_detail(resp)}"
            if attempt < self.retries:
                # Say so: a worker that waits on an unreachable server must not look hung.
                _log.warning(
                    "teacher server %s: %s %s failed (%s); retry %d of %d in %.1f s",
                    self.url, method, path, last, attempt + 1, self.retries, delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        raise TeacherUnreachableError(
            f"teacher server {self.url} unreachable: {method} {path} failed "
            f"{self.retries + 1} times over {time.monotonic() - started:.1f} s (last: {last})"
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    @staticmethod
    def _body(model: type[pydantic.BaseModel], data: dict[str, Any]) -> dict[str, Any]:
        """Validate a request body with the server's wire schema before sending it, so
        bad input fails here, naming the field, instead of after a round trip."""
        try:
            return model.model_validate(data).model_dump(mode="json", by_alias=True)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidConfigError(
                f"{where}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    # -- curricula ---------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._json("GET", "/healthz"))

    def create_curriculum(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create the curriculum ``name``, or join it if it exists with the same
        configuration (a different configuration raises TeacherRequestError 409).

        ``fields`` are those of :class:`teacher.config.CurriculumFields` (``teacher``,
        ``space`` as ``{name: (low, high)}``, ``teacher_params``, ``reward_bounds``,
        ``mastery_threshold``, ``seed``, ``environment``), checked here before sending."""
        if isinstance(fields.get("space"), Mapping):  # numpy scalars, tuples: JSON numbers
            fields["space"] = {k: [float(v[0]), float(v[1])] for k, v in fields["space"].items()}
        body = self._body(schemas.CurriculumCreate, {"name": name, **fields})
        return dict(self._json("POST", "/v1/curricula", json=body))

    def list_curricula(self, name: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name} if name else None
        data = self._json("GET", "/v1/curricula", params=params)
        return list(data["curricula"] if isinstance(data, dict) else data)

    def get_curriculum(self, curriculum_id: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/curricula/{curriculum_id}"))

    def delete_curriculum(self, curriculum_id: str) -> None:
        self._request("DELETE", f"/v1/curricula/{curriculum_id}")

    # -- tasks, results, evaluations ---------------------------------------------------
    def get_tasks(
        self, curriculum_id: str, count: int = 1, request_id: str | None = None
    ) -> list[Task]:
        """``count`` new tasks. request_id: the request's id (default: a fresh UUID); the
        same id with the same count returns the tasks issued for it the first time."""
        rid = request_id if request_id is not None else uuid.uuid4().hex
        body = self._body(schemas.TasksRequest, {"count": count, "request_id": rid})
        data = schemas.TasksOut.model_validate(
            self._json("POST", f"/v1/curricula/{curriculum_id}/tasks", json=body)
        )
        return [Task(t.task_id, dict(t.params), t.origin, t.seed) for t in data.tasks]

    def report_results(
        self, curriculum_id: str, results: Sequence[Mapping[str, Any]]
    ) -> tuple[int, int]:
        """Report finished episodes ({task_id, return, length?, worker?, score?}; score:
        the episode's per-episode score, e.g. PLR's positive value loss, if known now);
        returns (accepted, duplicates)."""
        body = self._body(schemas.ResultBatchIn, {"results": list(results)})
        data = schemas.ReportOut.model_validate(
            self._json("POST", f"/v1/curricula/{curriculum_id}/results", json=body)
        )
        return data.accepted, data.duplicates

    def report_scores(
        self, curriculum_id: str, scores: Sequence[Mapping[str, Any]]
    ) -> tuple[int, int]:
        """Late per-episode scores ({task_id, score}) for tasks already reported without
        one; returns (accepted, duplicates). Idempotent: a retry of the same scores
        counts as duplicates."""
        body = self._body(schemas.ScoreBatchIn, {"scores": list(scores)})
        data = schemas.ScoresOut.model_validate(
            self._json("POST", f"/v1/curricula/{curriculum_id}/scores", json=body)
        )
        return data.accepted, data.duplicates

    def report_evaluations(
        self, curriculum_id: str, evaluations: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        body = self._body(schemas.EvaluationBatchIn, {"evaluations": list(evaluations)})
        return dict(self._json("POST", f"/v1/curricula/{curriculum_id}/evaluations", json=body))

    # -- event log ---------------------------------------------------------------------
    def events(self, curriculum_id: str, after: int = 0) -> list[dict[str, Any]]:
        """The event log (teacher library format) after seq ``after``."""
        resp = self._request(
            "GET", f"/v1/curricula/{curriculum_id}/events",
            params={"format": "jsonl", "after": after},
        )
        return [json.loads(line) for line in resp.text.splitlines() if line.strip()]

    def export_events(self, curriculum_id: str, path: str) -> int:
        """Write the whole event log as JSON lines to ``path``; returns the event count."""
        events = self.events(curriculum_id)
        with open(path, "w", encoding="utf-8") as fh:
            for e in events:
                fh.write(json.dumps(e) + "\n")
        return len(events)

    def follow_events(self, curriculum_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """Stream events as they are appended (blocks; stop by closing the iterator)."""
        params: dict[str, Any] = {"format": "jsonl", "after": after, "follow": "true"}
        with self._http.stream(
            "GET", f"/v1/curricula/{curriculum_id}/events", params=params, timeout=None
        ) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise TeacherRequestError(
                    f"GET events -> {resp.status_code}: {_detail(resp)}",
                    status=resp.status_code,
                )
            for line in resp.iter_lines():
                if line.strip():
                    yield json.loads(line)


def _detail(resp: httpx.Response) -> Any:
    try:
        return resp.json().get("detail", resp.text)
    except (ValueError, AttributeError):
        return resp.text[:500]
