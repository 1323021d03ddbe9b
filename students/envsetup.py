"""What a worker trains and evaluates on: our registered environments, or any Gymnasium
environment made task-parameterised by ``TaskParamEnv``.

For our environments (``envs.ENV_IDS``) the task space, test sets, mastery threshold (230)
and reward bounds (-150, 350) come from ``envs``. For any other id the worker needs the
task space on the command line (``--task-param name=low:high``); mastery uses
``--mastery-threshold`` (default: the environment's ``reward_threshold`` in its
Gymnasium spec, e.g. 475 for CartPole-v1); returns reach the teacher raw unless
``--reward-bounds low:high`` is given; the test set is ``uniform<N>`` (default
``uniform50``): N tasks drawn uniformly in the box from a fixed seed, so every worker of a
curriculum evaluates on the same tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import envs
from students.config import StudentConfig
from students.errors import InvalidConfigError
from students.taskenv import TaskParamEnv, uniform_test_set
from students.wrappers import TaskInObservation

__all__ = ["EnvSetup", "resolve_env"]

_UNIFORM = re.compile(r"^uniform(\d+)$")
TEST_SET_SEED = 0  # fixed: every worker of a curriculum evaluates on the same tasks


@dataclass(frozen=True)
class EnvSetup:
    env_id: str
    ours: bool
    bounds: dict[str, tuple[float, float]]
    mastery_threshold: float | None
    reward_bounds: tuple[float, float] | None
    eval_set: str
    walker: str
    task_mode: str
    task_in_obs: bool
    max_episode_steps: int | None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.bounds)

    def environment(self) -> dict[str, str]:
        """What a curriculum made by this worker records about its environment."""
        if self.ours:
            return {"id": self.env_id, "walker": self.walker}
        return {"id": self.env_id, "task_params": ",".join(self.names),
                "task_mode": self.task_mode}

    def make_base(self, training: bool = True) -> gym.Env:
        """An environment following the task protocol (no curriculum wrapper)."""
        kwargs: dict[str, Any] = {}
        if training and self.max_episode_steps is not None:
            kwargs["max_episode_steps"] = self.max_episode_steps
        if self.ours:
            return gym.make(self.env_id, walker=self.walker, **kwargs)
        return TaskParamEnv(self.env_id, self.bounds, mode=self.task_mode, env_kwargs=kwargs)

    def observe_task(self, env: gym.Env) -> gym.Env:
        return TaskInObservation(env, self.bounds) if self.task_in_obs else env

    def eval_env_factory(self) -> Callable[[], gym.Env]:
        return lambda: self.observe_task(self.make_base(training=False))

    def test_tasks(self) -> np.ndarray:
        m = _UNIFORM.match(self.eval_set)
        if m:
            return uniform_test_set(self.bounds, int(m.group(1)), seed=TEST_SET_SEED)
        return envs.test_set(self.env_id, self.eval_set)


def resolve_env(cfg: StudentConfig) -> EnvSetup:
    """Check the environment options together; InvalidConfigError names the option."""
    ours = cfg.env_id in envs.ENV_IDS
    if ours:
        if cfg.task_params:
            raise InvalidConfigError(
                f"--task-param: {cfg.env_id} has its own task space "
                f"({', '.join(envs.task_names(cfg.env_id))}); --task-param is for other "
                f"environments"
            )
        eval_set = cfg.eval_set or "paper50"
        if not _UNIFORM.match(eval_set) and eval_set not in envs.test_set_names(cfg.env_id):
            raise InvalidConfigError(
                f"--eval-set must be one of {list(envs.test_set_names(cfg.env_id))} or "
                f"uniform<N>, got {eval_set!r}"
            )
        threshold = cfg.mastery_threshold
        return EnvSetup(
            cfg.env_id, True, dict(envs.task_bounds(cfg.env_id)),
            envs.mastery_threshold(cfg.env_id) if threshold is None else threshold,
            cfg.reward_bounds if cfg.reward_bounds is not None else (-150.0, 350.0),
            eval_set, cfg.walker, "attributes", cfg.task_in_obs, cfg.max_episode_steps,
        )
    try:
        spec = gym.spec(cfg.env_id)
    except gym.error.Error as exc:
        raise InvalidConfigError(f"--env: unknown environment {cfg.env_id!r} ({exc})") from None
    if not cfg.task_params:
        raise InvalidConfigError(
            f"--env {cfg.env_id} is not one of ours ({', '.join(envs.ENV_IDS)}): give its "
            f"task space with --task-param name=low:high (repeat), e.g. "
            f"--task-param length=0.2:2.0 for CartPole"
        )
    eval_set = cfg.eval_set or "uniform50"
    if not _UNIFORM.match(eval_set):
        raise InvalidConfigError(
            f"--eval-set for {cfg.env_id} must be uniform<N> (N tasks drawn uniformly in "
            f"the --task-param box), got {eval_set!r}"
        )
    threshold = cfg.mastery_threshold
    if threshold is None:
        threshold = spec.reward_threshold
    if threshold is None and cfg.eval_every >= 0:
        raise InvalidConfigError(
            f"--mastery-threshold: {cfg.env_id} has no reward_threshold in its spec; give "
            f"the return above which a test task counts as mastered (or --eval-every -1)"
        )
    setup = EnvSetup(
        cfg.env_id, False, dict(cfg.task_params),
        None if threshold is None else float(threshold), cfg.reward_bounds, eval_set,
        cfg.walker, cfg.task_mode, cfg.task_in_obs, cfg.max_episode_steps,
    )
    probe = setup.make_base()  # fails early, naming a parameter the env does not have
    probe.close()
    return setup
