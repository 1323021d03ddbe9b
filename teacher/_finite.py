"""Arithmetic on unbounded returns that stays finite.

Without ``reward_bounds`` a teacher works on raw returns, and any finite float is a valid
return. Differences, sums and squares of such values can overflow (``1e200 - -1e200`` is
finite, its square is not), and one ``inf`` turns into NaN tasks and fits.

The rule every helper here follows: compute exactly as before; only when that result is
not finite, redo the computation on values scaled by a power of two (exact in binary
floating point) and, where the result must stay in return units, saturate at the
largest float. A run whose arithmetic was finite therefore gets bit-identical results;
only runs that used to produce ``inf``/NaN take the scaled path.
"""

from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["FLOAT_MAX", "DOWN", "up", "abs_diff", "mean", "proportions", "column_scale"]

FLOAT_MAX = sys.float_info.max
#: 2**-1024: brings any finite float within [-1, 1] (exactly, above ~1e-300)
DOWN = 2.0**-1024


def up(x: float) -> float:
    """``x * 2**1024`` (undoes :data:`DOWN`), saturated at the largest float."""
    y = x * 2.0**1023 * 2.0
    return min(FLOAT_MAX, max(-FLOAT_MAX, y))


def abs_diff(a: float, b: float) -> float:
    """``|a - b|``, saturated at the largest float instead of overflowing to inf."""
    d = abs(a - b)
    return d if math.isfinite(d) else FLOAT_MAX


def mean(values: np.ndarray) -> float:
    """The mean of finite ``values``; when their sum overflows, the mean of the values
    halved 1024 times, scaled back (a mean of finite values is finite)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is handled below
        m = float(values.mean())
    if math.isfinite(m):
        return m
    return up(float((values * DOWN).mean()))


def proportions(weights: np.ndarray) -> np.ndarray | None:
    """``weights / weights.sum()`` for non-negative finite weights (None if they sum to
    0); when the sum overflows, the same on weights scaled by 2**-1024."""
    with np.errstate(over="ignore"):  # overflow is handled below
        total = float(weights.sum())
    if not math.isfinite(total):
        weights = weights * DOWN
        total = float(weights.sum())
    if total > 0:
        p: np.ndarray = weights / total
        return p
    return None


def column_scale(data: np.ndarray) -> np.ndarray | None:
    """Per-column powers of two that bring every column of ``data`` (n, D) within
    [-1, 1] ([-2, 2] for values near the largest float, as 2**1024 is not a float), or
    None if every column already is (nothing to scale)."""
    if data.size == 0:
        return None
    top = np.max(np.abs(data), axis=0)
    exps = np.array([min(1023, math.frexp(float(t))[1]) if t > 1 else 0 for t in top])
    if not exps.any():
        return None
    return np.ldexp(1.0, exps)
