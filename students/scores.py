"""PLR's per-episode score from a PPO worker: the positive value loss.

Robust PLR (Jiang et al. 2021) scores a level by the mean over the episode's steps of the
positive part of the GAE advantage, ``mean_t max(A_t, 0)`` (its "positive value loss").
A PPO worker has those advantages only when a rollout ends
(``RolloutBuffer.compute_returns_and_advantage`` runs before ``on_rollout_end``), after
the environment wrapper (possibly in a subprocess) has already reported the episode. So
the result goes out at once, without a score, and :class:`PositiveValueLossScores` sends
the score later through the scores endpoint, addressed by the task id the wrapper put in
the final step's ``info["curriculum_task_id"]``:

- at each rollout end it first waits until every finished episode's result has been
  sent (``flush_reports`` on every environment), then sends the scores of the episodes
  that ended during the rollout; a retry of the same scores is a duplicate, so the
  client's retries are safe;
- an episode that spans rollouts accumulates, per environment, the sum and count of its
  positive advantages over each rollout it ran in, and is scored when it ends: the part
  in earlier rollouts was computed with the value function of then;
- an episode still running when training stops gets no score, nor does one that ended in
  a rollout a stop cut short (SB3 computes no advantages for it: ``on_rollout_end`` does
  not run), nor one cut short by a reset (not reported at all).

SAC and TD3 have no advantages: their workers send no score, and a teacher that uses
scores falls back to its return-based proxy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from students.errors import TeacherRequestError
from teacher import TeacherError

__all__ = ["PositiveValueLossScores", "MAX_SCORES_PER_REQUEST"]

_log = logging.getLogger("students.scores")

#: The server takes at most this many items per request (server.schemas).
MAX_SCORES_PER_REQUEST = 1024


class PositiveValueLossScores(BaseCallback):
    """Sends each finished episode's positive value loss as a late score (see the module
    docstring). ``send(items)`` posts ``[{"task_id", "score"}, ...]``; a refusal (4xx) is
    logged and counted in ``refused`` and training goes on.

    After training: ``sent`` scores were accepted or acknowledged as duplicates.
    """

    def __init__(self, send: Callable[[list[dict[str, Any]]], Any]):
        super().__init__()
        self.send = send
        self.sent = 0
        self.refused = 0
        self._sum = np.zeros(0)  # per env: positive advantages of the episode so far
        self._count = np.zeros(0, dtype=np.int64)  # ... and its steps
        self._start = np.zeros(0, dtype=np.int64)  # per env: the episode's first step here
        self._step = 0  # steps of the current rollout so far
        self._ended: list[tuple[int, int, int, str | None]] = []  # env, first, last, id

    def _on_training_start(self) -> None:
        n = self.training_env.num_envs
        self._sum = np.zeros(n)
        self._count = np.zeros(n, dtype=np.int64)

    def _on_rollout_start(self) -> None:
        self._start = np.zeros(len(self._sum), dtype=np.int64)
        self._step = 0
        self._ended = []

    def _on_step(self) -> bool:
        dones = self.locals.get("dones")
        infos = self.locals.get("infos") or ()
        if dones is not None:
            for i in np.flatnonzero(dones):
                info = infos[i] if i < len(infos) else {}
                task_id = info.get("curriculum_task_id")
                self._ended.append((int(i), int(self._start[i]), self._step,
                                    None if task_id is None else str(task_id)))
                self._start[i] = self._step + 1
        self._step += 1
        return True

    def _on_rollout_end(self) -> None:
        buffer = getattr(self.model, "rollout_buffer", None)  # on-policy algorithms only
        advantages = getattr(buffer, "advantages", None)
        if advantages is None or advantages.shape[0] < self._step:
            return  # not an on-policy rollout buffer of this rollout's length
        positive = np.maximum(np.asarray(advantages, dtype=np.float64)[: self._step], 0.0)
        items: list[dict[str, Any]] = []
        for i, first, last, task_id in self._ended:
            total = self._sum[i] + positive[first:last + 1, i].sum()
            count = int(self._count[i]) + last + 1 - first
            self._sum[i], self._count[i] = 0.0, 0
            if task_id is not None and count > 0:
                items.append({"task_id": task_id, "score": float(total / count)})
        for i in range(len(self._sum)):  # episodes running on into the next rollout
            first = int(self._start[i])
            if first < self._step:
                self._sum[i] += positive[first:self._step, i].sum()
                self._count[i] += self._step - first
        if items:
            self.training_env.env_method("flush_reports")  # their results first
            for k in range(0, len(items), MAX_SCORES_PER_REQUEST):
                self._send(items[k:k + MAX_SCORES_PER_REQUEST])

    def _send(self, items: list[dict[str, Any]]) -> None:
        try:
            self.send(items)
        except (TeacherRequestError, TeacherError) as exc:  # server / in-process refusal
            self.refused += len(items)
            _log.warning("the teacher refused %d late score(s): %s", len(items), exc)
        else:
            self.sent += len(items)
