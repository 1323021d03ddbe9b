"""Covar-GMM (Moulin-Frier et al., 2014): GMMs over [task, time, return]; sample where
competence is rising (positive covariance between time and return)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _arrays
from teacher._gmm import GMMTeacher

__all__ = ["CovarGMM"]


class CovarGMM(GMMTeacher):
    """Fits GMMs (same schedule and hyper-parameters as ALP-GMM) on the last ``fit_rate``
    rows of [task..., relative time in the window (0..1), normalised return]; a component
    is chosen with probability proportional to max(0, cov(time, return)).
    """

    name: ClassVar[str] = "covar-gmm"
    _score_kind: ClassVar[str] = "time_return_cov"

    def _init_history(self) -> None:
        self._rows = _arrays.Growable(self.space.dim + 2)

    def _extra_dims(self) -> int:
        return 2

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        t = (self.n_updates_ % self.fit_rate) / self.fit_rate
        self._rows.append(np.concatenate([task, [t, reward]]))
        # Only the fitted window is ever needed.
        if len(self._rows) > 4 * self.fit_rate:
            tail = self._rows.values[-self.fit_rate :].copy()
            self._rows = _arrays.Growable(self.space.dim + 2)
            self._rows.extend(tail)
        self._schedule_fit()
        return None

    def _window(self) -> np.ndarray:
        return self._rows.values[-self.fit_rate :]

    def _get_state(self) -> dict[str, Any]:
        return {**self._gmm_state(), "rows": _arrays.encode(self._window())}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._rows = _arrays.Growable(self.space.dim + 2)
        self._rows.extend(_arrays.decode(state["rows"]))
        self._set_gmm_state(state)
