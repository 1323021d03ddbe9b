"""Compact, exact JSON encoding of float arrays (for large histories in state dicts and
fitted weights in fit events).

An array is written as base64 little-endian bytes under ``"f4"`` (float32) when every
value survives a round trip through float32 bit for bit (the float64 bytes compared, so
-0.0, subnormals and the like stay exact; infinities and NaN never take this path), else
under ``"f8"`` (float64), as every release before event schema 5 wrote them. Neural
networks' weights and optimiser moments are float32 values carried in float64: they take
half the room. :func:`decode` reads both and always returns float64.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def _as_float32(arr: np.ndarray) -> np.ndarray | None:
    """The float64 array ``arr`` as float32 if that loses nothing (finite values, the
    float64 bytes bit-exact after the round trip), else None."""
    if arr.size == 0 or not np.isfinite(arr).all():
        return None
    with np.errstate(over="ignore"):
        f4 = arr.astype("<f4")
    return f4 if f4.astype("<f8").tobytes() == arr.tobytes() else None


def encode(a: np.ndarray) -> dict[str, Any]:
    """``a`` as JSON: its shape and its values, float32 where lossless (module docstring)."""
    arr = np.ascontiguousarray(a, dtype="<f8")
    f4 = _as_float32(arr)
    if f4 is not None:
        return {"shape": list(arr.shape), "f4": base64.b64encode(f4.tobytes()).decode("ascii")}
    return {"shape": list(arr.shape), "f8": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode(d: dict[str, Any]) -> np.ndarray:
    """The float64 array :func:`encode` wrote (either payload key)."""
    key, dtype = ("f4", "<f4") if "f4" in d else ("f8", "<f8")
    raw = base64.b64decode(d[key], validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(d["shape"]).astype(np.float64)


class Growable:
    """An append-only float64 array of rows with amortised O(1) appends."""

    def __init__(self, width: int | None = None):
        self.width = width
        shape = (256,) if width is None else (256, width)
        self._a = np.empty(shape)
        self.n = 0

    def append(self, row: Any) -> None:
        if self.n == self._a.shape[0]:
            self._a = np.concatenate([self._a, np.empty_like(self._a)])
        self._a[self.n] = row
        self.n += 1

    def extend(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64)
        need = self.n + len(rows)
        if need > self._a.shape[0]:
            grown = np.empty((max(need, 2 * self._a.shape[0]),) + self._a.shape[1:])
            grown[: self.n] = self._a[: self.n]
            self._a = grown
        self._a[self.n : need] = rows
        self.n = need

    @property
    def values(self) -> np.ndarray:
        """A view of the stored rows, shape (n,) or (n, width)."""
        return self._a[: self.n]

    def __len__(self) -> int:
        return self.n
