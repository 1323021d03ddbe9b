"""Named continuous task spaces (boxes)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from teacher.errors import InvalidSpaceError, InvalidTaskError

__all__ = ["TaskSpace"]


def _fmt(x: float) -> str:
    return repr(float(x))


class TaskSpace:
    """A named box of task parameters.

    The insertion order of ``bounds`` is the canonical parameter order everywhere: arrays,
    event logs, plots and the HTTP API.

    Parameters
    ----------
    bounds:
        Mapping ``name -> (low, high)`` with finite ``low < high``; or an iterable of
        ``(name, (low, high))`` pairs.
    """

    __slots__ = ("_names", "_low", "_high")

    def __init__(self, bounds: Mapping[str, Iterable[float]] | Iterable[tuple[str, Any]]):
        items = list(bounds.items()) if isinstance(bounds, Mapping) else list(bounds)
        if not items:
            raise InvalidSpaceError("space must have at least one parameter, got none")
        names: list[str] = []
        lows: list[float] = []
        highs: list[float] = []
        for item in items:
            try:
                name, pair = item
            except (TypeError, ValueError):
                raise InvalidSpaceError(
                    f"space entries must be (name, (low, high)), got {item!r}"
                ) from None
            if not isinstance(name, str) or not name.strip():
                raise InvalidSpaceError(f"parameter names must be non-empty strings, got {name!r}")
            if name in names:
                raise InvalidSpaceError(f"parameter name {name!r} appears twice")
            try:
                low, high = (float(v) for v in pair)
            except (TypeError, ValueError):
                raise InvalidSpaceError(
                    f"bounds of {name!r} must be two numbers [low, high], got {pair!r}"
                ) from None
            if not (math.isfinite(low) and math.isfinite(high)):
                raise InvalidSpaceError(f"bounds of {name!r} must be finite, got [{low}, {high}]")
            if not low < high:
                raise InvalidSpaceError(
                    f"bounds of {name!r} need low < high, got [{_fmt(low)}, {_fmt(high)}]"
                )
            names.append(name)
            lows.append(low)
            highs.append(high)
        self._names = tuple(names)
        self._low = np.array(lows, dtype=np.float64)
        self._high = np.array(highs, dtype=np.float64)
        self._low.flags.writeable = False
        self._high.flags.writeable = False

    # -- description -------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in canonical order."""
        return self._names

    @property
    def low(self) -> np.ndarray:
        """Lower bounds, shape (d,)."""
        return self._low

    @property
    def high(self) -> np.ndarray:
        """Upper bounds, shape (d,)."""
        return self._high

    @property
    def dim(self) -> int:
        return len(self._names)

    @property
    def width(self) -> np.ndarray:
        """``high - low``, shape (d,)."""
        return self._high - self._low

    def describe(self) -> str:
        return ", ".join(self._names)

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{n!r}: ({_fmt(lo)}, {_fmt(hi)})"
            for n, lo, hi in zip(self._names, self._low, self._high, strict=True)
        )
        return f"TaskSpace({{{inner}}})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskSpace):
            return NotImplemented
        return (
            self._names == other._names
            and bool(np.array_equal(self._low, other._low))
            and bool(np.array_equal(self._high, other._high))
        )

    def __hash__(self) -> int:
        return hash((self._names, tuple(self._low), tuple(self._high)))

    # -- validation and conversion -----------------------------------------------------
    def validate(self, task: Any, *, field: str = "task") -> np.ndarray:
        """Return ``task`` as a float64 array of shape (d,), or raise InvalidTaskError.

        Accepts an array-like in canonical order or a mapping ``name -> value``.
        """
        if isinstance(task, Mapping):
            return self.from_dict(task, field=field)
        try:
            arr = np.asarray(task, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidTaskError(
                f"{field} must be {self.dim} numbers ({self.describe()}), got {task!r}"
            ) from None
        if arr.shape != (self.dim,):
            got = f"shape {arr.shape}" if arr.ndim != 1 else f"{arr.shape[0]} values"
            raise InvalidTaskError(
                f"{field} has {got}, the space has {self.dim} ({self.describe()})"
            )
        self._check_values(arr, field)
        return arr

    def _check_values(self, arr: np.ndarray, field: str) -> None:
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidTaskError(
                f"{field}: {self._names[i]} must be a finite number, got {arr[i]!r}"
            )
        out = (arr < self._low) | (arr > self._high)
        if out.any():
            i = int(np.argmax(out))
            raise InvalidTaskError(
                f"{field}: {self._names[i]} must be in [{_fmt(self._low[i])}, "
                f"{_fmt(self._high[i])}], got {_fmt(arr[i])}"
            )

    def from_dict(self, mapping: Mapping[str, Any], *, field: str = "task") -> np.ndarray:
        """Convert ``{name: value}`` to an array in canonical order (validated)."""
        unknown = [k for k in mapping if k not in self._names]
        if unknown:
            raise InvalidTaskError(
                f"{field}: unknown parameter {unknown[0]!r}; expected {list(self._names)}"
            )
        missing = [n for n in self._names if n not in mapping]
        if missing:
            raise InvalidTaskError(
                f"{field}: missing parameter {missing[0]!r}; expected {list(self._names)}"
            )
        values = []
        for n in self._names:
            v = mapping[n]
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InvalidTaskError(f"{field}: {n} must be a number, got {v!r}")
            values.append(float(v))
        arr = np.array(values, dtype=np.float64)
        self._check_values(arr, field)
        return arr

    def to_dict(self, task: np.ndarray) -> dict[str, float]:
        """Convert an array in canonical order to ``{name: value}`` (plain floats)."""
        arr = np.asarray(task, dtype=np.float64)
        return {n: float(v) for n, v in zip(self._names, arr, strict=True)}

    def clip(self, task: np.ndarray) -> np.ndarray:
        return np.clip(task, self._low, self._high)

    def uniform(self, rng: np.random.Generator) -> np.ndarray:
        """One uniform draw in the box, shape (d,)."""
        return self._low + rng.random(self.dim) * (self._high - self._low)

    # -- serialisation -----------------------------------------------------------------
    def to_json(self) -> dict[str, list[float]]:
        """``{name: [low, high]}`` in canonical order (JSON objects keep insertion order)."""
        return {
            n: [float(lo), float(hi)]
            for n, lo, hi in zip(self._names, self._low, self._high, strict=True)
        }

    @classmethod
    def from_json(cls, data: Any) -> TaskSpace:
        if not isinstance(data, Mapping):
            raise InvalidSpaceError(
                f"space must be an object {{name: [low, high]}}, got {type(data).__name__}"
            )
        return cls(data)
