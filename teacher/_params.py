"""Hyper-parameter checks shared by the teachers: one message format everywhere."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from teacher.errors import InvalidParameterError

Check = Callable[[str, Any], None]


def _fail(name: str, expected: str, value: Any) -> None:
    raise InvalidParameterError(f"{name} must be {expected}, got {value!r}")


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(name: str, value: Any) -> None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and low is not None and value < low:
            ok = False
        if ok and high is not None and value > high:
            ok = False
        if not ok:
            rng = f" in [{low}, {high if high is not None else 'inf'}]" if low is not None else ""
            _fail(name, f"an integer{rng}", value)

    return check


def real(low: float | None = None, high: float | None = None, *, open_low: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
        if ok and low is not None and (value < low or (open_low and value == low)):
            ok = False
        if ok and high is not None and value > high:
            ok = False
        if not ok:
            lo = "(" if open_low else "["
            hi = high if high is not None else "inf"
            rng = f" in {lo}{low}, {hi}]" if low is not None else ""
            _fail(name, f"a finite number{rng}", value)

    return check


def one_of(options: Sequence[Any]) -> Check:
    def check(name: str, value: Any) -> None:
        if value not in options:
            _fail(name, f"one of {list(options)}", value)

    return check


def boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(name, "true or false", value)


def optional(inner: Check) -> Check:
    def check(name: str, value: Any) -> None:
        if value is not None:
            inner(name, value)

    return check


def int_pair(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> None:
        try:
            a, b = value
        except (TypeError, ValueError):
            _fail(name, f"a pair [min, max] of integers in [{low}, {high}]", value)
        for v in (a, b):
            if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
                _fail(name, f"a pair [min, max] of integers in [{low}, {high}]", value)
        if a > b:
            _fail(name, "a pair [min, max] with min <= max", value)

    return check


def bounds_pair(name: str, value: Any) -> None:
    try:
        lo, hi = value
        ok = all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in (lo, hi)
        ) and lo < hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        _fail(name, "a pair [low, high] of finite numbers with low < high", value)


def seed(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(name, "None or a non-negative integer", value)


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
