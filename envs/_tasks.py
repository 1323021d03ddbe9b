"""Task spaces of the environments: names, bounds, defaults, validation.

Pure NumPy, no Box2D or gymnasium import, so other packages can build task spaces
(``envs.task_bounds``) without paying for a physics engine.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from envs.errors import InvalidEnvTaskError, UnknownEnvironmentError

__all__ = [
    "ENV_IDS",
    "HEXAGON_TRACKS",
    "MASTERY_THRESHOLD",
    "REMOVED_IDS",
    "STUMP_TRACKS",
    "TaskLike",
    "TaskSpec",
    "task_spec",
]

#: An episode return strictly above this masters a task (the paper's criterion).
MASTERY_THRESHOLD = 230.0

#: A task as users give it: a mapping name -> value, or values in canonical order.
TaskLike = Mapping[str, float] | Sequence[float] | np.ndarray


@dataclass(frozen=True)
class TaskSpec:
    """The task space of one environment.

    Attributes:
        env_id: gymnasium id, e.g. ``"StumpTracks-v1"``.
        names: parameter names in canonical order (length d).
        low, high: inclusive bounds per parameter, same order, in the parameter's units.
        default: the task in effect before any task is set, same order.
        mastery_threshold: an episode return above this masters the task.
    """

    env_id: str
    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    default: tuple[float, ...]
    mastery_threshold: float = MASTERY_THRESHOLD

    @property
    def dim(self) -> int:
        """Number of task parameters d."""
        return len(self.names)

    def bounds(self) -> dict[str, tuple[float, float]]:
        """Mapping name -> (low, high), in canonical order."""
        return {n: (lo, hi) for n, lo, hi in zip(self.names, self.low, self.high, strict=True)}

    def default_task(self) -> dict[str, float]:
        """The default task as a mapping name -> value (a fresh dict)."""
        return dict(zip(self.names, self.default, strict=True))

    def describe(self) -> str:
        """``"stump_height in [0.0, 3.0], obstacle_spacing in [0.0, 6.0]"``."""
        return ", ".join(f"{n} in [{lo}, {hi}]" for n, (lo, hi) in self.bounds().items())

    def validate(self, task: TaskLike) -> dict[str, float]:
        """Check a task and return it as a fresh dict name -> float in canonical order.

        Args:
            task: a mapping with exactly the names of this space, or a sequence / array
                of shape (d,) with the values in canonical order.

        Raises:
            InvalidEnvTaskError: unknown or missing name, wrong length, a value that is not a
                finite real number, or a value outside [low, high]. The message names the
                parameter, its range and the value received.
        """
        if isinstance(task, Mapping):
            unknown = [k for k in task if k not in self.names]
            if unknown:
                key = unknown[0]
                raise InvalidEnvTaskError(
                    f"unknown task parameter {key!r} (got {task[key]!r}); "
                    f"{self.env_id} expects {self.describe()}"
                )
            missing = [n for n in self.names if n not in task]
            if missing:
                lo, hi = self.bounds()[missing[0]]
                raise InvalidEnvTaskError(
                    f"task is missing {missing[0]} (range [{lo}, {hi}]); "
                    f"{self.env_id} expects {self.describe()}"
                )
            values: list[object] = [task[n] for n in self.names]
        elif isinstance(task, str | bytes) or not isinstance(task, Sequence | np.ndarray):
            raise InvalidEnvTaskError(
                f"task must be a mapping name -> value or a sequence of {self.dim} values, "
                f"got {task!r}; {self.env_id} expects {self.describe()}"
            )
        else:
            array = np.asarray(task, dtype=object)
            if array.shape != (self.dim,):
                raise InvalidEnvTaskError(
                    f"task has shape {array.shape}, {self.env_id} expects {self.dim} values "
                    f"({', '.join(self.names)})"
                )
            values = list(array)
        checked = {}
        for name, value, lo, hi in zip(self.names, values, self.low, self.high, strict=True):
            checked[name] = _check_value(name, value, lo, hi)
        return checked


def _check_value(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a float if it is a finite real in [low, high], else raise."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InvalidEnvTaskError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidEnvTaskError(
            f"{name} must be a finite number in [{low}, {high}], got {number!r}"
        )
    if not low <= number <= high:
        raise InvalidEnvTaskError(f"{name} must be in [{low}, {high}], got {number!r}")
    return number


STUMP_TRACKS = TaskSpec(
    env_id="StumpTracks-v1",
    names=("stump_height", "obstacle_spacing"),
    low=(0.0, 0.0),
    high=(3.0, 6.0),
    default=(0.0, 6.0),
)

_HEXAGON_NAMES = tuple(f"{axis}{i}" for i in range(6) for axis in ("dx", "dy"))
HEXAGON_TRACKS = TaskSpec(
    env_id="HexagonTracks-v1",
    names=_HEXAGON_NAMES,
    low=(0.0,) * 12,
    high=(4.0,) * 12,
    default=(0.0,) * 12,
)

_SPECS: Mapping[str, TaskSpec] = MappingProxyType(
    {spec.env_id: spec for spec in (STUMP_TRACKS, HEXAGON_TRACKS)}
)

#: Ids of earlier versions and why they went (gymnasium's rule: new dynamics, new version).
REMOVED_IDS: Mapping[str, str] = MappingProxyType(
    {
        "StumpTracks-v0": "its obstacle_spacing was in terrain steps, not the paper's metres",
        "HexagonTracks-v0": "its hexagons had no noise, another spacing and concave pieces",
    }
)
_REMOVED = REMOVED_IDS

#: The environment ids this package registers, in a fixed order.
ENV_IDS: tuple[str, ...] = tuple(_SPECS)


def task_spec(env_id: str) -> TaskSpec:
    """The :class:`TaskSpec` of ``env_id``.

    Raises:
        UnknownEnvironmentError: ``env_id`` is not one of :data:`ENV_IDS`.
    """
    try:
        return _SPECS[env_id]
    except (KeyError, TypeError):
        if isinstance(env_id, str) and env_id in _REMOVED:
            raise UnknownEnvironmentError(
                f"{env_id} was removed: {_REMOVED[env_id]}; use {env_id[:-1]}1"
            ) from None
        known = ", ".join(repr(e) for e in ENV_IDS)
        raise UnknownEnvironmentError(f"env_id must be one of {known}, got {env_id!r}") from None
