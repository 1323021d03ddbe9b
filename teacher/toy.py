"""The toy student of the ALP-GMM paper: a grid of cells whose competence grows only next
to already mastered cells. A fast, noise-free stand-in for an RL student."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["ToyStudent"]


class ToyStudent:
    """Simulated student on the unit box [0, 1]^(dims + distractors).

    The first ``dims`` coordinates pick a cell of a ``grid``^dims lattice; distractor
    dimensions are ignored. A cell's competence (0..100) rises by ``gain`` each time a
    task lands in it, but only if it is the start cell (all zeros) or one of its
    lower/left neighbours (index offsets in {-1, 0}^dims, excluding 0) has competence
    >= ``mastery``. The return is competence / 100 plus Gaussian ``noise`` (sd).
    ``unlearnable`` is a share of cells (never the start cell) that never improve; they
    answer pure noise around 0 — a trap for learning-progress teachers.

    score(): percentage of learnable cells with competence > ``mastery``.
    """

    def __init__(
        self,
        *,
        grid: int = 10,
        dims: int = 2,
        distractors: int = 0,
        unlearnable: float = 0.0,
        noise: float = 0.0,
        gain: float = 1.0,
        mastery: float = 75.0,
        random_state: int | None = None,
    ):
        if not isinstance(grid, int) or grid < 1:
            raise InvalidParameterError(f"grid must be a positive integer, got {grid!r}")
        if not isinstance(dims, int) or dims < 1:
            raise InvalidParameterError(f"dims must be a positive integer, got {dims!r}")
        if not isinstance(distractors, int) or distractors < 0:
            raise InvalidParameterError(
                f"distractors must be a non-negative integer, got {distractors!r}"
            )
        if not 0.0 <= unlearnable < 1.0:
            raise InvalidParameterError(f"unlearnable must be in [0, 1), got {unlearnable!r}")
        if not noise >= 0.0:
            raise InvalidParameterError(f"noise must be >= 0, got {noise!r}")
        self.grid, self.dims, self.distractors = grid, dims, distractors
        self.unlearnable, self.noise, self.gain, self.mastery = unlearnable, noise, gain, mastery
        self._rng = np.random.default_rng(random_state)
        self.competence = np.zeros((grid,) * dims)
        n_cells = grid**dims
        blocked = np.zeros(n_cells, dtype=bool)
        n_blocked = int(round(unlearnable * n_cells))
        if n_blocked:
            blocked[1 + self._rng.choice(n_cells - 1, size=n_blocked, replace=False)] = True
        self.blocked = blocked.reshape((grid,) * dims)
        self._offsets = [o for o in itertools.product((-1, 0), repeat=dims) if any(o)]
        self.space = TaskSpace({f"x{i}": (0.0, 1.0) for i in range(dims + distractors)})

    def cell(self, task: Any) -> tuple[int, ...]:
        arr = self.space.validate(task)
        idx = np.minimum((arr[: self.dims] * self.grid).astype(int), self.grid - 1)
        return tuple(int(i) for i in idx)

    def _can_learn(self, c: tuple[int, ...]) -> bool:
        if self.blocked[c]:
            return False
        if not any(c):
            return True
        for off in self._offsets:
            n = tuple(ci + oi for ci, oi in zip(c, off, strict=True))
            if min(n) >= 0 and self.competence[n] >= self.mastery:
                return True
        return False

    def episode(self, task: Any) -> float:
        """Practise ``task`` once and return the episode return."""
        c = self.cell(task)
        if self._can_learn(c):
            self.competence[c] = min(100.0, self.competence[c] + self.gain)
        ret = float(self.competence[c]) / 100.0
        if self.noise:
            ret += float(self._rng.normal(0.0, self.noise))
        return ret

    def score(self) -> float:
        """% of learnable cells with competence above ``mastery``."""
        learnable = ~self.blocked
        return float(100.0 * (self.competence[learnable] > self.mastery).mean())
