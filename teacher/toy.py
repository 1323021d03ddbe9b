"""The toy student of the ALP-GMM paper: a grid of cells whose competence grows only next
to already mastered cells. A fast, noise-free stand-in for an RL student."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from teacher.errors import InvalidParameterError
from teacher.space import TaskSpace

__all__ = ["ToyStudent"]


def _share(name: str, value: Any, upper: float = 1.0) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not 0.0 <= value < upper):
        raise InvalidParameterError(
            f"{name} must be a number in [0, {upper:g}), got {value!r}")
    return float(value)


class ToyStudent:
    """Simulated student on the unit box [0, 1]^(dims + distractors).

    The first ``dims`` coordinates pick a cell of a ``grid``^dims lattice; distractor
    dimensions are ignored. A cell's competence (0..100) rises by ``gain`` each time a
    task lands in it, but only if it is the start cell (all zeros) or one of its
    lower/left neighbours (index offsets in {-1, 0}^dims, excluding 0) has competence
    >= ``mastery``. The return is competence / 100 plus Gaussian ``noise`` (sd).
    ``unlearnable`` is a share of cells (never the start cell) that never improve; they
    answer pure noise around 0 — a trap for learning-progress teachers.

    Variants after TeachMyAgent's benchmark (Romac et al. 2021), all off by default:

    - ``forgetting``: competence points every cell *not* practised in an episode loses
      in that episode (floor 0), so a cell left alone for 25 / ``forgetting`` episodes
      falls from 100 back to mastery; the frontier can recede.
    - ``trivial``: share of the first coordinate's range, at its low end, where every
      task is already mastered (competence 100, return 1): the paper's grid is squeezed
      into the rest of that axis, unchanged (the trivial part unlocks nothing).
    - ``unfeasible``: share of the first coordinate's range, at its high end, where no
      task ever succeeds (competence 0 for ever, like ``unlearnable`` cells).

    The trivial and unfeasible shares are rounded to whole columns of the first axis
    (``columns_`` = trivial, grid, unfeasible column counts); their cells are not scored.

    score(): percentage of learnable grid cells with competence > ``mastery``.
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
        forgetting: float = 0.0,
        trivial: float = 0.0,
        unfeasible: float = 0.0,
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
        if (isinstance(forgetting, bool) or not isinstance(forgetting, (int, float))
                or not 0.0 <= forgetting <= 100.0):
            raise InvalidParameterError(
                f"forgetting must be a number of competence points per episode in "
                f"[0, 100], got {forgetting!r}")
        trivial, unfeasible = _share("trivial", trivial), _share("unfeasible", unfeasible)
        if trivial + unfeasible >= 1.0:
            raise InvalidParameterError(
                f"trivial + unfeasible must be < 1 (the grid needs some of the first axis), "
                f"got trivial={trivial!r} + unfeasible={unfeasible!r}")
        self.grid, self.dims, self.distractors = grid, dims, distractors
        self.unlearnable, self.noise, self.gain, self.mastery = unlearnable, noise, gain, mastery
        self.forgetting, self.trivial, self.unfeasible = float(forgetting), trivial, unfeasible
        self._rng = np.random.default_rng(random_state)
        rest = 1.0 - trivial - unfeasible
        n_triv, n_unf = round(grid * trivial / rest), round(grid * unfeasible / rest)
        self.columns_ = (n_triv, grid, n_unf)
        n_cells = grid**dims
        blocked = np.zeros(n_cells, dtype=bool)
        n_blocked = int(round(unlearnable * n_cells))
        if n_blocked:
            blocked[1 + self._rng.choice(n_cells - 1, size=n_blocked, replace=False)] = True
        blocked = blocked.reshape((grid,) * dims)
        self.competence = np.zeros((grid,) * dims)
        self.trivial_mask = np.zeros((grid,) * dims, dtype=bool)
        if n_triv or n_unf:  # extra columns of the first axis around the paper's grid
            def pad(a: np.ndarray, low: Any, high: Any) -> np.ndarray:
                shape = a.shape[1:]
                return np.concatenate([np.full((n_triv, *shape), low, a.dtype), a,
                                       np.full((n_unf, *shape), high, a.dtype)])
            blocked = pad(blocked, False, True)
            self.competence = pad(self.competence, 100.0, 0.0)
            self.trivial_mask = pad(self.trivial_mask, True, False)
        self.blocked = blocked
        self._learnable = ~(blocked | self.trivial_mask)
        self._start = (n_triv,) + (0,) * (dims - 1)
        self._scale = np.array([n_triv + grid + n_unf] + [grid] * (dims - 1))
        self._offsets = [o for o in itertools.product((-1, 0), repeat=dims) if any(o)]
        self.space = TaskSpace({f"x{i}": (0.0, 1.0) for i in range(dims + distractors)})

    def cell(self, task: Any) -> tuple[int, ...]:
        """Index of the cell ``task`` falls in (into ``competence``)."""
        arr = self.space.validate(task)
        idx = np.minimum((arr[: self.dims] * self._scale).astype(int), self._scale - 1)
        return tuple(int(i) for i in idx)

    def _can_learn(self, c: tuple[int, ...]) -> bool:
        if self.blocked[c] or self.trivial_mask[c]:
            return False
        if c == self._start:
            return True
        first = self._start[0]  # trivial columns are no neighbours
        for off in self._offsets:
            n = tuple(ci + oi for ci, oi in zip(c, off, strict=True))
            if n[0] >= first and min(n) >= 0 and self.competence[n] >= self.mastery:
                return True
        return False

    def episode(self, task: Any) -> float:
        """Practise ``task`` once and return the episode return."""
        c = self.cell(task)
        if self._can_learn(c):
            self.competence[c] = min(100.0, self.competence[c] + self.gain)
        ret = float(self.competence[c]) / 100.0
        if self.forgetting:
            kept, learnable = self.competence[c], self._learnable
            self.competence[learnable] = np.maximum(
                self.competence[learnable] - self.forgetting, 0.0)
            self.competence[c] = kept
        if self.noise:
            ret += float(self._rng.normal(0.0, self.noise))
        return ret

    def score(self) -> float:
        """% of learnable grid cells with competence above ``mastery``."""
        return float(100.0 * (self.competence[self._learnable] > self.mastery).mean())
