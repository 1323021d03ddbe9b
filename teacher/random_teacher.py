"""The uniform baseline."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from teacher.base import Teacher

__all__ = ["RandomTeacher"]


class RandomTeacher(Teacher):
    """Samples every task uniformly in the box (origin ``random``)."""

    name: ClassVar[str] = "random"

    def _sample(self) -> tuple[np.ndarray, str]:
        return self.space.uniform(self._rng), "random"

    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        return None
