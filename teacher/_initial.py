"""Where a teacher starts: the ``initial_mean`` / ``initial_std`` Gaussian, shared.

SPDL starts its context distribution there and GoalGAN pretrains its generator on it
(TeachMyAgent gives both the same ``initial_dist``). One set of names, units, defaults
and checks for both: in the space's units, defaulting to the space's low corner and 10%
of each range (the project's convention, issue 17: a teacher that starts somewhere starts
at the low corner).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teacher import _params as P
from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["CHECKS", "check_lengths", "gaussian", "positive_vector", "vector"]


def vector(name: str, value: Any) -> None:
    """A list of finite numbers."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a list of numbers, got {value!r}") from None
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name} must be a list of finite numbers, got {value!r}")


def positive_vector(name: str, value: Any) -> None:
    """A list of finite numbers above 0."""
    vector(name, value)
    if not (np.asarray(value, dtype=np.float64) > 0).all():
        raise InvalidParameterError(f"{name} must be a list of positive numbers, got {value!r}")


#: The per-value checks of ``initial_mean`` and ``initial_std`` (None: the default).
CHECKS: dict[str, P.Check] = {
    "initial_mean": P.optional(vector),
    "initial_std": P.optional(positive_vector),
}


def check_lengths(space: TaskSpace, params: dict[str, Any]) -> None:
    """Each vector given in ``params`` (name -> value or None) has one value per
    dimension of ``space``."""
    for name, value in params.items():
        if value is not None and len(value) != space.dim:
            raise InvalidParameterError(
                f"{name} must have {space.dim} values ({space.describe()}), got {len(value)}")


def gaussian(space: TaskSpace, initial_mean: Any, initial_std: Any
             ) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) of the initial Gaussian in the space's units, defaults filled in: the
    low corner and 10% of each range."""
    mean = space.low if initial_mean is None else np.asarray(initial_mean, dtype=np.float64)
    std = space.width / 10 if initial_std is None else np.asarray(initial_std,
                                                                   dtype=np.float64)
    return np.array(mean, dtype=np.float64), np.array(std, dtype=np.float64)
