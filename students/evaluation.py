"""Mastery evaluation on a fixed test set during training."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["evaluate_mastery", "MasteryEvalCallback"]


def evaluate_mastery(
    model: Any,
    env: gym.Env,
    tasks: np.ndarray,
    names: Sequence[str],
    threshold: float,
    *,
    max_steps: int | None = None,
    seed: int = 0,
    obs_transform: Callable[[Any], Any] | None = None,
) -> tuple[float, np.ndarray]:
    """Run the policy deterministically once per test task.

    tasks: array (n, d) in canonical order (``names``). Returns (% of tasks whose return
    exceeds ``threshold``, returns array (n,)). ``max_steps`` caps each episode (quick
    runs); by default the environment's own limit applies. ``obs_transform`` maps each
    observation before the policy sees it (e.g. a training VecNormalize's
    ``normalize_obs``).
    """
    returns = np.zeros(len(tasks))
    for i, task in enumerate(tasks):
        params = {n: float(v) for n, v in zip(names, task, strict=True)}
        obs, _ = env.reset(seed=seed + i, options={"task": params})
        total, steps, done = 0.0, 0, False
        while not done:
            seen = obs if obs_transform is None else obs_transform(obs)
            action, _ = model.predict(seen, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated or (max_steps is not None and steps >= max_steps)
        returns[i] = total
    return float(100.0 * (returns > threshold).mean()), returns


class MasteryEvalCallback(BaseCallback):
    """Every ``eval_every`` environment steps (and at the end of training), evaluate
    mastery on ``tasks``, log it through SB3's logger (console, TensorBoard) as
    ``eval/mastery_pct`` and ``eval/mean_return``, and hand the per-task results to
    ``report`` (e.g. to send them to the teacher server as evaluations).
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        tasks: np.ndarray,
        names: Sequence[str],
        threshold: float,
        *,
        eval_every: int,
        test_set: str,
        max_steps: int | None = None,
        report: Callable[[list[dict[str, Any]]], None] | None = None,
        worker: str | None = None,
        verbose: int = 0,
        obs_transform: Callable[[Any], Any] | None = None,
    ):
        super().__init__(verbose)
        self.make_env = make_env
        self.tasks = np.asarray(tasks, dtype=np.float64)
        self.names = tuple(names)
        self.threshold = threshold
        self.eval_every = eval_every
        self.test_set = test_set
        self.max_steps = max_steps
        self.report = report
        self.worker = worker
        self.obs_transform = obs_transform
        self.history: list[tuple[int, float]] = []  # (step, mastery %)
        self.mean_returns: list[tuple[int, float]] = []  # (step, mean test return)
        self._env: gym.Env | None = None
        self._last = 0

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last >= self.eval_every:
            self._last = self.num_timesteps
            self.evaluate()
        return True

    def _on_training_end(self) -> None:
        if not self.history or self.history[-1][0] != self.num_timesteps:
            self.evaluate()

    def evaluate(self) -> float:
        if self._env is None:
            self._env = self.make_env()
        mastery, returns = evaluate_mastery(
            self.model, self._env, self.tasks, self.names, self.threshold,
            max_steps=self.max_steps, obs_transform=self.obs_transform,
        )
        self.history.append((self.num_timesteps, mastery))
        self.mean_returns.append((self.num_timesteps, float(returns.mean())))
        self.logger.record("eval/mastery_pct", mastery)
        self.logger.record("eval/mean_return", float(returns.mean()))
        if self.verbose:
            print(f"[eval] step {self.num_timesteps}: mastery {mastery:.1f}% "
                  f"(mean return {returns.mean():.1f}) on {len(returns)} tasks")
        if self.report is not None:
            items = []
            for task, ret in zip(self.tasks, returns, strict=True):
                item: dict[str, Any] = {
                    "params": {n: float(v) for n, v in zip(self.names, task, strict=True)},
                    "return": float(ret), "test_set": self.test_set, "step": self.num_timesteps,
                }
                if self.worker:
                    item["worker"] = self.worker
                items.append(item)
            self.report(items)
        return mastery

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
