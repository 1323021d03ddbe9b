"""Compact, exact JSON encoding of float arrays (for large histories in state dicts)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def encode(a: np.ndarray) -> dict[str, Any]:
    arr = np.ascontiguousarray(a, dtype="<f8")
    return {"shape": list(arr.shape), "f8": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode(d: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(d["f8"], validate=True)
    return np.frombuffer(raw, dtype="<f8").reshape(d["shape"]).astype(np.float64)


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
