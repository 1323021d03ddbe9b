"""ADR (OpenAI et al., 2019): automatic domain randomization, as TeachMyAgent runs it.

The teacher samples uniformly in a box that starts as a single task and moves its sides
one at a time. With probability ``boundary_sampling_p`` one coordinate of the task is
pinned to a side of the box; the returns of tasks on a side fill that side's queue, and
a full queue moves the side outwards (the student copes there) or inwards (it does not).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _finite
from teacher import _params as P
from teacher.base import Teacher
from teacher.errors import InvalidParameterError, InvalidTaskError
from teacher.space import TaskSpace

__all__ = ["ADR"]

SIDES = ("low", "high")


def _vector(name: str, value: Any) -> None:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a list of numbers, got {value!r}") from None
    if arr.ndim != 1:
        raise InvalidParameterError(f"{name} must be a list of numbers, got {value!r}")


class ADR(Teacher):
    """Automatic domain randomization over a growing and shrinking box.

    Sampling: a task uniform in the box ``[low_, high_]`` (origin ``box``); with
    probability ``boundary_sampling_p`` one dimension i, drawn uniformly, is then set to
    the box's low or high side (a fair coin; origin ``boundary:<i>:<low|high>``). A
    dimension whose box already spans the whole space is left uniform, as in TeachMyAgent.

    Updates: a result whose task lies exactly on a side of the current box (the value of
    dimension i equals ``low_[i]`` or ``high_[i]``) appends its return to that side's
    queue; a queue of ``queue_len`` returns is then read and emptied. If its mean is
    >= ``upper_threshold`` the side moves outwards by ``step_size`` of the dimension's
    range (never past the space); if it is <= ``lower_threshold`` it moves inwards by the
    same step (never past the opposite side, so the box never inverts). Results of tasks
    elsewhere only count as episodes. While a dimension is a single value, every task
    lies on both its sides.

    Parameters (defaults: TeachMyAgent's run defaults on Stump Tracks, in our units)
    ---------------------------------------------------------------------------------
    upper_threshold, lower_threshold: on the return the teacher sees, which is the
        normalised [0, 1] return when ``reward_bounds`` is set (0.66 and 0.30:
        TeachMyAgent's 180 and 0 with bounds (-150, 350)); without ``reward_bounds`` they
        are in the raw return's units and must be set for the environment.
    step_size: how far a side moves, as a fraction of each dimension's range (1/30:
        TeachMyAgent's 0.1 on the [0, 3] stump height).
    boundary_sampling_p: probability of a boundary task (0.7, TeachMyAgent's run default;
        its class default is 0.5).
    queue_len: returns per side before the side is judged (10).
    initial_task: the box's starting point, in the space's units (default: the space's
        low corner; TeachMyAgent draws it at random when no expert knowledge is given).
    """

    name: ClassVar[str] = "adr"
    _checks: ClassVar[dict[str, P.Check]] = {
        "upper_threshold": P.real(),
        "lower_threshold": P.real(),
        "step_size": P.real(0.0, 1.0, open_low=True),
        "boundary_sampling_p": P.real(0.0, 1.0),
        "queue_len": P.integer(1),
        "initial_task": P.optional(_vector),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        upper_threshold: float = 0.66,
        lower_threshold: float = 0.30,
        step_size: float = 1 / 30,
        boundary_sampling_p: float = 0.7,
        queue_len: int = 10,
        initial_task: tuple[float, ...] | None = None,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.upper_threshold = upper_threshold
        self.lower_threshold = lower_threshold
        self.step_size = step_size
        self.boundary_sampling_p = boundary_sampling_p
        self.queue_len = queue_len
        self.initial_task = initial_task
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        start = space.low if initial_task is None else np.asarray(initial_task, dtype=np.float64)
        self.low_ = start.copy()
        self.high_ = start.copy()
        self._step = space.width * step_size
        self._queues: dict[str, list[list[float]]] = {s: [[] for _ in range(space.dim)]
                                                     for s in SIDES}
        self.n_expanded_ = 0
        self.n_shrunk_ = 0

    def _check_consistency(self) -> None:
        if not self.lower_threshold < self.upper_threshold:
            raise InvalidParameterError(
                "lower_threshold must be below upper_threshold, got "
                f"{self.lower_threshold} and {self.upper_threshold}"
            )
        if self.initial_task is not None:
            try:
                self.space.validate(self.initial_task, field="initial_task")
            except InvalidTaskError as exc:
                raise InvalidParameterError(str(exc)) from None

    # -- sampling --------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        task = np.minimum(self.low_ + self._rng.random(self.space.dim) * (self.high_ - self.low_),
                          self.high_)
        if self._rng.random() >= self.boundary_sampling_p:
            return task, "box"
        i = int(self._rng.integers(self.space.dim))
        if self.low_[i] == self.space.low[i] and self.high_[i] == self.space.high[i]:
            return task, "box"  # nothing left to grow in this dimension
        side = SIDES[int(self._rng.random() >= 0.5)]
        task[i] = self.low_[i] if side == "low" else self.high_[i]
        return task, f"boundary:{i}:{side}"

    # -- updates ---------------------------------------------------------------------------
    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        for i in range(self.space.dim):
            on = {"low": task[i] == self.low_[i], "high": task[i] == self.high_[i]}
            for side in SIDES:
                if on[side]:
                    self._push(i, side, reward)
        return None

    def _push(self, i: int, side: str, reward: float) -> None:
        queue = self._queues[side][i]
        queue.append(reward)
        if len(queue) < self.queue_len:
            return
        mean = _finite.mean(np.asarray(queue, dtype=np.float64))
        self._queues[side][i] = []
        if mean >= self.upper_threshold:
            self._move(i, side, outwards=True)
        elif mean <= self.lower_threshold:
            self._move(i, side, outwards=False)

    def _move(self, i: int, side: str, *, outwards: bool) -> None:
        before = (self.low_[i], self.high_[i])
        step = self._step[i]
        if side == "low":
            self.low_[i] = (max(self.low_[i] - step, self.space.low[i]) if outwards
                            else min(self.low_[i] + step, self.high_[i]))
        else:
            self.high_[i] = (min(self.high_[i] + step, self.space.high[i]) if outwards
                             else max(self.high_[i] - step, self.low_[i]))
        if (self.low_[i], self.high_[i]) != before:
            if outwards:
                self.n_expanded_ += 1
            else:
                self.n_shrunk_ += 1

    # -- what a host may read --------------------------------------------------------------
    def queue_lengths(self) -> dict[str, list[int]]:
        """Returns waiting in each side's queue, per dimension."""
        return {s: [len(q) for q in self._queues[s]] for s in SIDES}

    def describe_state(self) -> dict[str, Any]:
        """The counts, the box (its low and high corners) and how often a side moved."""
        return {**super().describe_state(), "kind": "box", "low": self.low_.tolist(),
                "high": self.high_.tolist(), "expansions": int(self.n_expanded_),
                "shrinks": int(self.n_shrunk_)}

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {"low": self.low_.tolist(), "high": self.high_.tolist(),
                "queues": {s: [list(q) for q in self._queues[s]] for s in SIDES},
                "expanded": self.n_expanded_, "shrunk": self.n_shrunk_}

    def _set_state(self, state: dict[str, Any]) -> None:
        low = np.asarray(state["low"], dtype=np.float64)
        high = np.asarray(state["high"], dtype=np.float64)
        d = self.space.dim
        queues = {s: [[float(r) for r in q] for q in state["queues"][s]] for s in SIDES}
        if low.shape != (d,) or high.shape != (d,) or any(len(queues[s]) != d for s in SIDES):
            raise ValueError(f"box and queues must have {d} dimensions")
        if not (self.space.low <= low).all() or not (low <= high).all() or not (
                high <= self.space.high).all():
            raise ValueError(f"box [{low.tolist()}, {high.tolist()}] is not inside the space")
        self.low_, self.high_, self._queues = low, high, queues
        self.n_expanded_ = int(state["expanded"])
        self.n_shrunk_ = int(state["shrunk"])
