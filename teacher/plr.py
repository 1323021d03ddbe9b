"""Robust Prioritized Level Replay (Jiang, Grefenstette, Rocktäschel 2021; Jiang, Dennis,
Parker-Holder, Foerster, Grefenstette, Rocktäschel 2021) over a continuous task box.

A *level* is a task vector plus the environment seed that generates it. The teacher keeps
a buffer of the most interesting levels it has seen, replays them by score rank mixed with
staleness, and otherwise issues new levels drawn uniformly in the box. See
docs/teachers.md (`plr`) for the score proxy, the handling of foreign tasks, and what "robust"
means for a black-box student.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np

from teacher import _arrays, _finite
from teacher import _params as P
from teacher._levels import LevelBuffer, _key, replay_probabilities
from teacher.base import MAX_TASK_SEED, Teacher
from teacher.space import TaskSpace

__all__ = ["PLR"]

#: How many issued new levels (not yet admitted to the buffer) the teacher remembers, so
#: that their result, or a late score after a proxy-scored result, can admit them.
STAGING_LIMIT = 2048
#: How many levels ``describe_state`` lists (the highest scored).
DESCRIBED_LEVELS = 200


class PLR(Teacher):
    """Robust PLR with the published defaults of DCD's BipedalWalker configuration
    (facebookresearch/dcd, ``train_scripts/grid_configs/bipedal/bipedal_robust_plr.json``
    and ``arguments.py``).

    buffer_size: levels kept (1000, the BipedalWalker configuration; dcd's default 4000).
    replay_prob: the highest probability of replaying a level instead of issuing a new
        one (0.5). Replays start once the buffer holds ``min_fill`` of ``buffer_size``
        levels, then happen with probability min(fill, replay_prob) (dcd's
        "proportionate" schedule).
    min_fill: rho, the buffer fill needed before any replay (0.5).
    beta: temperature of the rank prioritisation, weight rank ** (-1/beta) (0.1, dcd's
        and level-replay's default).
    staleness_coef: weight of the staleness distribution in the mix (0.5, the
        BipedalWalker configuration; dcd's default 0.3, level-replay's 0.1).
    buffer_priority: which level a new one may replace once the buffer is full:
        "replay_support" (the lowest replay probability, dcd's and Syllabus's default) or
        "score" (the lowest score). It replaces it only if its score is at least as high.

    A level's score is the episode's ``score`` when the student sends one (e.g. the mean
    positive GAE advantage), else a proxy in normalised return units: the absolute change
    of the level's return since its previous visit, and on a level's first visit the
    absolute difference from the latest return of the nearest level in the buffer.
    Results for tasks this teacher did not issue do not touch the buffer.
    """

    name: ClassVar[str] = "plr"
    uses_scores: ClassVar[bool] = True
    _checks: ClassVar[dict[str, P.Check]] = {
        "buffer_size": P.integer(1),
        "replay_prob": P.real(0.0, 1.0),
        "min_fill": P.real(0.0, 1.0),
        "beta": P.real(0.0, open_low=True),
        "staleness_coef": P.real(0.0, 1.0),
        "buffer_priority": P.one_of(["replay_support", "score"]),
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        buffer_size: int = 1000,
        replay_prob: float = 0.5,
        min_fill: float = 0.5,
        beta: float = 0.1,
        staleness_coef: float = 0.5,
        buffer_priority: str = "replay_support",
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.buffer_size = buffer_size
        self.replay_prob = replay_prob
        self.min_fill = min_fill
        self.beta = beta
        self.staleness_coef = staleness_coef
        self.buffer_priority = buffer_priority
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        self._buffer = LevelBuffer(buffer_size, space.dim)
        # issued new levels not in the buffer: key -> (task, seed, replay clock, the
        # normalised return of its proxy-scored result, None before a result)
        self._staging: OrderedDict[bytes, tuple[np.ndarray, int, int, float | None]] = (
            OrderedDict())
        self.n_replays_ = 0
        self.n_admitted_ = 0

    # -- what a host may read ------------------------------------------------------------------
    @property
    def buffer_(self) -> LevelBuffer:
        return self._buffer

    def replay_probabilities_(self) -> np.ndarray:
        """The probability of each buffered level (slot order) on the next replay."""
        b = self._buffer
        return replay_probabilities(b.scores[: b.size], b.staleness(self.n_replays_),
                                    self.beta, self.staleness_coef)

    def describe_state(self) -> dict[str, Any]:
        """The counts and the highest-scored levels (at most DESCRIBED_LEVELS): each level's
        task, seed, score, and replay probability."""
        b = self._buffer
        p = self.replay_probabilities_() if b.size else np.zeros(0)
        top = np.argsort(-b.scores[: b.size], kind="stable")[:DESCRIBED_LEVELS]
        return {**super().describe_state(), "kind": "levels", "capacity": self.buffer_size,
                "size": int(b.size), "replays": int(self.n_replays_),
                "levels": [{"slot": int(i), "task": b.tasks[i].tolist(), "seed": int(b.seeds[i]),
                            "score": float(b.scores[i]), "p": float(p[i])} for i in top]}

    # -- sampling --------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str, int]:
        b = self._buffer
        fill = b.size / self.buffer_size
        if b.size and fill >= self.min_fill and self._rng.random() < min(fill, self.replay_prob):
            p = self.replay_probabilities_()
            cum = np.cumsum(p)
            slot = min(int(np.searchsorted(cum, self._rng.random() * cum[-1], side="right")),
                       b.size - 1)
            b.issued[slot] = self.n_replays_  # staleness counts replays, as in dcd
            self.n_replays_ += 1
            return b.tasks[slot].copy(), f"replay:{slot}", int(b.seeds[slot])
        task = self.space.clip(self.space.uniform(self._rng))
        seed = int(self._rng.integers(0, MAX_TASK_SEED, endpoint=True))
        # staleness 0 on entering the buffer, then one more per replay (dcd)
        self._staging[_key(task)] = (task, seed, self.n_replays_ - 1, None)
        while len(self._staging) > STAGING_LIMIT:
            self._staging.popitem(last=False)
        return task, "new", seed

    # -- scores ----------------------------------------------------------------------------
    def _first_visit_proxy(self, task: np.ndarray, reward: float) -> float:
        """|reward - latest return of the nearest buffered level| (0 with no level)."""
        b = self._buffer
        if b.size == 0:
            return 0.0
        unit = (b.tasks[: b.size] - task) / self.space.width
        nearest = int(np.argmin(np.einsum("ij,ij->i", unit, unit)))
        return _finite.abs_diff(reward, float(b.returns[nearest]))

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        b = self._buffer
        slot = b.slot(task)
        if slot is not None:
            b.scores[slot] = (score if score is not None
                              else _finite.abs_diff(reward, float(b.returns[slot])))
            b.returns[slot] = reward
            return None
        key = _key(task)
        staged = self._staging.pop(key, None)
        if staged is None or staged[3] is not None:
            return None  # not issued by this teacher, forgotten, or reported already
        level, seed, issued, _ = staged
        value = score if score is not None else self._first_visit_proxy(level, reward)
        if not self._admit(level, seed, value, reward, issued) and score is None:
            self._staging[key] = (level, seed, issued, reward)  # a late score may admit it
        return None

    def _observe_score(self, task: np.ndarray, score: float) -> None:
        b = self._buffer
        slot = b.slot(task)
        if slot is not None:
            b.scores[slot] = score
            return
        key = _key(task)
        staged = self._staging.get(key)
        if staged is None:
            return
        level, seed, issued, reward = staged
        if reward is not None:  # its result came without a score: this one decides
            del self._staging[key]
            self._admit(level, seed, score, reward, issued)

    def _admit(self, task: np.ndarray, seed: int, score: float, reward: float,
               issued: int) -> bool:
        """Put a scored new level in a free slot, or in place of the weakest level if it
        scores at least as high; True if it entered the buffer."""
        b = self._buffer
        if b.size < self.buffer_size:
            slot = b.size
        else:
            weakest = (self.replay_probabilities_() if self.buffer_priority == "replay_support"
                       else b.scores)
            slot = int(np.argmin(weakest))
            if score < b.scores[slot]:
                return False
        b.put(slot, task, seed, score, reward, issued)
        self.n_admitted_ += 1
        return True

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        staged = list(self._staging.values())
        return {
            "buffer": self._buffer.to_json(),
            "staging": {
                "tasks": _arrays.encode(np.array([s[0] for s in staged]).reshape(
                    len(staged), self.space.dim)),
                "seeds": [s[1] for s in staged],
                "issued": [s[2] for s in staged],
                "returns": [s[3] for s in staged],
            },
            "replays": self.n_replays_,
            "admitted": self.n_admitted_,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._buffer.load_json(state["buffer"])
        st = state["staging"]
        tasks = _arrays.decode(st["tasks"])
        rows = list(zip(tasks, st["seeds"], st["issued"], st["returns"], strict=True))
        for task, seed, issued, ret in rows:
            self._staging[_key(task)] = (task, int(seed), int(issued),
                                         None if ret is None else float(ret))
        self.n_replays_ = int(state["replays"])
        self.n_admitted_ = int(state["admitted"])
