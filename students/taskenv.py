"""Any environment with numeric parameters as a task-parameterised environment.

The task protocol the rest of the package relies on (``CurriculumWrapper``, the
evaluation, ``TaskInObservation``) is small:

- the environment has a task space: named parameters, each in a closed interval
  (``task_names`` in canonical order and ``task_bounds``);
- ``reset(options={"task": {name: value, ...}})`` applies the task for the episode that
  starts (a reset without a task keeps the last one), and ``info["task"]`` says which
  task is in effect.

``TaskParamEnv`` gives that protocol to an environment whose parameters are instance
attributes (``mode="attributes"``, e.g. CartPole's ``length`` and ``masspole``) or
constructor arguments (``mode="kwargs"``, e.g. LunarLander's ``gravity``: the
environment is rebuilt when the task changes). Imports gymnasium and numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["TaskParamEnv", "APPLY_HOOKS", "parse_task_param", "uniform_test_set"]

MODES = ("attributes", "kwargs")


def _cartpole_apply(env: Any, task: Mapping[str, float]) -> None:
    # CartPole caches these in __init__; without recomputing them a new pole length or
    # mass would change nothing in the physics.
    env.total_mass = env.masspole + env.masscart
    env.polemass_length = env.masspole * env.length


#: Apply hooks of known environment classes (name of ``env.unwrapped``'s class): called
#: after the attributes are set, they recompute what the environment derived from them.
APPLY_HOOKS: dict[str, Callable[[Any, Mapping[str, float]], None]] = {
    "CartPoleEnv": _cartpole_apply,
}


def parse_task_param(text: str) -> tuple[str, tuple[float, float]]:
    """``"length=0.2:2.0"`` -> ``("length", (0.2, 2.0))``; ValueError naming the problem."""
    name, sep, rng = text.partition("=")
    low_s, sep2, high_s = rng.partition(":")
    if not sep or not sep2 or not name.strip():
        raise ValueError(f"--task-param must look like name=low:high, got {text!r}")
    try:
        low, high = float(low_s), float(high_s)
    except ValueError:
        raise ValueError(
            f"--task-param {name.strip()}: low and high must be numbers, got {rng!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(
            f"--task-param {name.strip()}: need finite low < high, got {low} and {high}"
        )
    return name.strip(), (low, high)


def uniform_test_set(space: Mapping[str, tuple[float, float]], n: int, seed: int = 0) -> np.ndarray:
    """``n`` tasks drawn uniformly in the box with their own seeded generator: array
    (n, d) in the space's order. The same (space, n, seed) always gives the same set."""
    if n < 1:
        raise ValueError(f"a test set needs at least 1 task, got {n}")
    lows = np.array([b[0] for b in space.values()], dtype=np.float64)
    highs = np.array([b[1] for b in space.values()], dtype=np.float64)
    return np.random.default_rng(seed).uniform(lows, highs, size=(n, len(lows)))


class TaskParamEnv(gym.Wrapper):
    """Follows the task protocol on top of ``make_env``'s environment.

    make_env: a Gymnasium id, or a factory taking the task's parameters as keyword
        arguments in ``kwargs`` mode (no arguments in ``attributes`` mode).
    space: parameter name -> (low, high), in canonical order.
    mode: ``"attributes"`` sets each parameter as an attribute of ``env.unwrapped``
        (each must exist), then calls ``apply(env.unwrapped, task)`` — by default the
        hook of :data:`APPLY_HOOKS` for the class, if any — so cached derived values are
        recomputed. ``"kwargs"`` rebuilds the environment with the task as constructor
        arguments whenever the task changes.
    default_task: used before any task is given (default: the box's centre).
    env_kwargs: extra constructor arguments when ``make_env`` is an id.
    """

    def __init__(
        self,
        make_env: str | Callable[..., gym.Env],
        space: Mapping[str, tuple[float, float]],
        *,
        mode: str = "attributes",
        apply: Callable[[Any, Mapping[str, float]], None] | None = None,
        default_task: Mapping[str, float] | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        if not space:
            raise ValueError("space must name at least one parameter, got none")
        self.task_bounds = {str(k): (float(v[0]), float(v[1])) for k, v in space.items()}
        for k, (lo, hi) in self.task_bounds.items():
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"space: parameter {k!r} needs finite low < high, got {lo}, {hi}")
        self.task_names = tuple(self.task_bounds)
        self.mode = mode
        if isinstance(make_env, str):
            env_id, extra = make_env, dict(env_kwargs or {})
            self._make: Callable[..., gym.Env] = lambda **kw: gym.make(env_id, **extra, **kw)
        else:
            self._make = make_env
        centre = {k: (lo + hi) / 2 for k, (lo, hi) in self.task_bounds.items()}
        self.task = self._check(dict(default_task) if default_task is not None else centre)
        env = self._make(**self.task) if mode == "kwargs" else self._make()
        super().__init__(env)
        self._apply = apply
        if mode == "attributes":
            inner = env.unwrapped
            missing = [k for k in self.task_names if not hasattr(inner, k)]
            if missing:
                raise ValueError(
                    f"space: {type(inner).__name__} has no attribute(s) {missing} to set "
                    f"(mode='attributes'; use mode='kwargs' for constructor arguments)"
                )
            self._apply = apply or APPLY_HOOKS.get(type(inner).__name__)
            self._set_attributes(self.task)

    def _check(self, task: Any) -> dict[str, float]:
        if not isinstance(task, Mapping):
            raise ValueError(f"task must be a mapping of parameter names to numbers, got {task!r}")
        unknown = sorted(set(task) - set(self.task_names))
        missing = [k for k in self.task_names if k not in task]
        if unknown or missing:
            raise ValueError(
                f"task must give exactly {list(self.task_names)}; "
                f"unknown {unknown}, missing {missing}"
            )
        out: dict[str, float] = {}
        for k in self.task_names:
            v, (lo, hi) = task[k], self.task_bounds[k]
            if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
                raise ValueError(f"task parameter {k!r} must be a number, got {v!r}")
            if not (math.isfinite(float(v)) and lo <= float(v) <= hi):
                raise ValueError(f"task parameter {k!r} must be in [{lo}, {hi}], got {v!r}")
            out[k] = float(v)
        return out

    def _set_attributes(self, task: dict[str, float]) -> None:
        inner = self.env.unwrapped
        for k, v in task.items():
            setattr(inner, k, v)
        if self._apply is not None:
            self._apply(inner, task)

    def set_task(self, task: Mapping[str, float]) -> None:
        """Validate and apply ``task`` (from the next episode on in ``kwargs`` mode; at
        once in ``attributes`` mode). A bad task raises and changes nothing."""
        new = self._check(task)
        if self.mode == "attributes":
            self._set_attributes(new)
        elif new != self.task:
            old = self.env
            self.env = self._make(**new)
            old.close()
        self.task = new

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        opts = dict(options or {})
        if "task" in opts:
            self.set_task(opts.pop("task"))
        obs, info = self.env.reset(seed=seed, options=opts or None)
        info = dict(info)
        info["task"] = dict(self.task)
        return obs, info
