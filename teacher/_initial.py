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

__all__ = ["CHECKS", "check_lengths", "gaussian"]


#: The per-value checks of ``initial_mean`` and ``initial_std`` (None: the default).
CHECKS: dict[str, P.Check] = {
    "initial_mean": P.optional(P.vector),
    "initial_std": P.optional(P.positive_vector),
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
    mean = space.low if initial_mean is None else initial_mean
    std = space.width / 10 if initial_std is None else initial_std
    return np.array(mean, dtype=np.float64), np.array(std, dtype=np.float64)
