"""Which tasks each client request id got, so that a retried request gets them again."""

from __future__ import annotations

from typing import Any

from teacher.events import TaskEvent

__all__ = ["RequestMemory"]


class RequestMemory:
    """The tasks issued for each request id, oldest request first. At most ``limit`` tasks
    are kept in all: adding forgets the oldest requests (never the newest), so adding the
    events of a log one by one ends in the same memory as adding them live."""

    def __init__(self, limit: int):
        self.limit = limit
        self._tasks: dict[str, list[TaskEvent]] = {}
        self._count = 0

    def get(self, request_id: str) -> list[TaskEvent] | None:
        tasks = self._tasks.get(request_id)
        return None if tasks is None else list(tasks)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._tasks

    def __len__(self) -> int:
        """Tasks remembered."""
        return self._count

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestMemory) and self._tasks == other._tasks

    def add(self, e: TaskEvent) -> None:
        """Remember ``e`` (which has a request id) under its request id."""
        assert e.request_id is not None
        self._tasks.setdefault(e.request_id, []).append(e)
        self._count += 1
        while self._count > self.limit and len(self._tasks) > 1:
            self._count -= len(self._tasks.pop(next(iter(self._tasks))))

    def to_json(self) -> list[Any]:
        """``[[request_id, [[seq, time, task_id, params, origin(, seed)], ...]], ...]``
        (a task's seed, when it has one, is a sixth element)."""
        return [[rid, [[e.seq, e.time, e.task_id, dict(e.params), e.origin]
                       + ([] if e.seed is None else [e.seed]) for e in tasks]]
                for rid, tasks in self._tasks.items()]

    def load_json(self, data: list[Any]) -> None:
        """Add what :meth:`to_json` wrote."""
        for rid, tasks in data:
            for seq, time, task_id, params, origin, *seed in tasks:
                self.add(TaskEvent(int(seq), str(time), str(task_id),
                                   {str(n): float(v) for n, v in params.items()}, str(origin),
                                   request_id=str(rid), seed=int(seed[0]) if seed else None))
