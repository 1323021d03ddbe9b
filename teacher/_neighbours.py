"""Exact nearest-neighbour search over a growing history of tasks.

ALP needs, for each new task, the single nearest previously stored task (Euclidean; ties
resolved to the latest stored, or, on request, the earliest). Brute force costs O(n) per
query, the reference code's periodic k-d tree rebuild O(n log n) every 500 additions.
Here the history is split into a logarithmic number of static k-d trees of geometrically
growing size plus a small brute-force buffer (the Bentley-Saxe construction): a point is
rebuilt into a bigger tree O(log n) times in its life, a query asks O(log n) trees.

Exact duplicates are stored once (keyed by their bytes) with the list of their
occurrences, so repeated tasks — common at the box corners after clipping — never make
tie-breaking expensive. An optional ``capacity`` keeps only the newest occurrences.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

_BUFFER = 256
_REL_TIE = 1e-9
# Uncapped queries brute-force the newest points (the buffer and the small, recent trees)
# up to this many, and ask the older, bigger trees with one ball query each.
_BRUTE_MAX = 1024
# A tree more than this many times bigger than the brute-forced points gets a 2-nearest
# query rather than a ball of their radius.
_RADIUS_RATIO = 8


def sq_distances(cols: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances from x (d,) to the points stored as the *columns* of
    ``cols`` (d, n): the one formula every answer here is computed with. Points on the
    last axis make it several times faster than rows for small d."""
    diff = cols - x[:, None]
    diff *= diff
    return diff.sum(axis=0)


class NearestNeighbours:
    """Exact nearest neighbour among the stored tasks (see module docstring).

    dim: task dimension. capacity: None or the number of newest occurrences to keep.
    ties: which of several equally near stored tasks is the answer, ``"latest"`` (the
    most recently stored) or ``"earliest"``.
    """

    def __init__(self, dim: int, capacity: int | None = None, ties: str = "latest"):
        if ties not in TIES:
            raise ValueError(f"ties must be one of {list(TIES)}, got {ties!r}")
        self.dim = dim
        self.capacity = capacity
        self.latest = ties == "latest"
        self._cols = np.empty((dim, 1024))  # unique points as columns, by uid
        self._n_uid = 0
        self._occ: list[list[int]] = []  # occurrences of each uid (history indices)
        self._occ_ptr: list[int] = []  # first possibly active occurrence
        self._uid_of: dict[bytes, int] = {}
        self._trees: list[tuple[int, int, cKDTree]] = []  # (uid_lo, uid_hi, tree)
        self._buffer_lo = 0
        self.n = 0  # occurrences ever added
        self._dead_uids = 0

    @property
    def start(self) -> int:
        """History index of the oldest occurrence still active."""
        return 0 if self.capacity is None else max(0, self.n - self.capacity)

    def __len__(self) -> int:
        return self.n - self.start

    # -- queries -------------------------------------------------------------------------
    def _first_active(self, uid: int) -> int | None:
        occ, p, start = self._occ[uid], self._occ_ptr[uid], self.start
        while p < len(occ) and occ[p] < start:
            p += 1
        self._occ_ptr[uid] = p
        return occ[p] if p < len(occ) else None

    def _answer(self, uid: int) -> int | None:
        """The occurrence of ``uid`` a query returns (None if none is active)."""
        if self.latest:
            last = self._occ[uid][-1]
            return last if last >= self.start else None
        return self._first_active(uid)

    def _rank(self, d: float, occurrence: int) -> tuple[float, int]:
        """Sort key of a candidate: nearest first, then the preferred occurrence."""
        return (d, -occurrence if self.latest else occurrence)

    def _consider(self, best: tuple[float, int] | None, uids: np.ndarray, x: np.ndarray):
        if uids.size == 0:
            return best
        d2 = sq_distances(self._cols[:, uids], x)
        for uid, d in zip(uids.tolist(), d2.tolist(), strict=True):
            if best is not None and d > best[0]:
                continue
            occurrence = self._answer(uid)
            if occurrence is None:
                continue
            if best is None or self._rank(d, occurrence) < best:
                best = self._rank(d, occurrence)
        return best

    def query(self, x: np.ndarray) -> int | None:
        """History index of the nearest active stored task (``ties`` decides between
        equally near ones), or None."""
        if len(self) == 0:
            return None
        if self.capacity is None:
            return self._query_uncapped(x)
        best: tuple[float, int] | None = None
        buf = np.arange(self._buffer_lo, self._n_uid)
        best = self._consider(best, buf, x)
        for lo, hi, tree in self._trees:
            best = self._query_tree(best, lo, hi, tree, x)
        if best is None:
            return None
        return -best[1] if self.latest else best[1]

    def _query_uncapped(self, x: np.ndarray) -> int:
        """Every stored point is active and uids follow first occurrences, so the answer
        is the smallest uid at the smallest distance. The newest points (the buffer and
        the recent, small trees: contiguous uids) are brute-forced; their nearest bounds
        the radius of one ball query per older tree, which gathers every point that can
        tie or beat it. Candidates are compared with :func:`sq_distances`, as brute force
        computes them."""
        trees, hi = self._trees, self._n_uid
        lo, j = self._buffer_lo, len(trees)
        while j > 0 and hi - trees[j - 1][0] <= _BRUTE_MAX:
            j -= 1
            lo = trees[j][0]
        newest = sq_distances(self._cols[:, lo:hi], x) if hi > lo else None
        newest_best = best = float(newest.min()) if newest is not None else math.inf
        if j == 0:
            assert newest is not None
            return self._pick(lo + np.flatnonzero(newest == newest_best))
        older = trees[:j]
        found: list[np.ndarray] = []
        lo0, hi0, tree0 = older[0]
        if hi0 - lo0 > _RADIUS_RATIO * (hi - lo):
            # The newest points are too few for a tight radius over the biggest tree (a
            # ball would hold ~size/newest points): ask it for its two nearest instead.
            dist, idx = tree0.query(x, k=2)  # a tree holds >= _BUFFER points
            best = min(best, float(dist[0]) ** 2)
            found.append(np.asarray(idx[:1], dtype=np.int64) + lo0)
            if dist[1] > math.sqrt(best) * (1 + _REL_TIE) + 1e-300:
                older = older[1:]  # no other point of it can tie
        radius = math.sqrt(best) * (1 + _REL_TIE) + 1e-300
        found += [np.asarray(ball, dtype=np.int64) + t_lo
                  for t_lo, _, tree in older
                  if (ball := tree.query_ball_point(x, r=radius))]
        tied_newest = (
            lo + np.flatnonzero(newest == newest_best) if newest is not None
            else np.empty(0, dtype=np.int64)
        )
        if found:
            cand = np.concatenate(found) if len(found) > 1 else found[0]
            d2 = sq_distances(self._cols[:, cand], x)
            m = float(d2.min())
            if m < newest_best:
                return self._pick(cand[d2 == m])
            if m == newest_best:
                return self._pick(np.concatenate([cand[d2 == m], tied_newest]))
        return self._pick(tied_newest)

    def _pick(self, uids: np.ndarray) -> int:
        """Among equally near unique points (uncapped: all active), the occurrence the
        tie rule names: the last occurrence of any, or the first of the smallest uid
        (uids follow first occurrences)."""
        if self.latest:
            return max(self._occ[u][-1] for u in uids.tolist())
        return self._occ[int(uids.min())][0]

    def _query_tree(self, best, lo: int, hi: int, tree: cKDTree, x: np.ndarray):
        size = hi - lo
        k = min(2, size)
        while True:
            dist, idx = tree.query(x, k=k)
            dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
            if best is not None and dist[0] ** 2 > best[0] * (1 + _REL_TIE) + 1e-300:
                return best
            alive = [j for j, i in enumerate(idx.tolist())
                     if self._first_active(lo + i) is not None]
            if alive or k >= size:
                break
            k = min(size, k * 8)
        if not alive:
            return best
        # The nearest *active* point's distance; points tied with it (or float near-ties)
        # may lie beyond the k returned: then fetch every point within that radius.
        d0 = float(dist[alive[0]])
        near = lo + idx[alive]
        if k < size and dist[-1] <= d0 * (1 + _REL_TIE) + 1e-300:
            ball = tree.query_ball_point(x, r=d0 * (1 + _REL_TIE) + 1e-300)
            near = lo + np.asarray(ball, dtype=np.int64)
        return self._consider(best, near, x)

    # -- updates -------------------------------------------------------------------------
    def add(self, x: np.ndarray) -> None:
        """Store x (array (dim,)) as history index ``self.n``."""
        if self._insert(x) and self._n_uid - self._buffer_lo >= _BUFFER:
            self._flush()

    def extend(self, points: np.ndarray) -> None:
        """Store the rows of ``points`` in history order, building one tree for all of
        them rather than merging step by step (used when loading a saved state)."""
        for x in np.asarray(points, dtype=np.float64):
            self._insert(x)
        if self._n_uid - self._buffer_lo >= _BUFFER:
            self._flush()

    def _insert(self, x: np.ndarray) -> bool:
        """Record an occurrence of x; return True if x is a new unique point."""
        index = self.n
        self.n += 1
        key = np.ascontiguousarray(x, dtype=np.float64).tobytes()
        uid = self._uid_of.get(key)
        if uid is not None and self._first_active(uid) is not None:
            self._occ[uid].append(index)
            return False
        if self._n_uid == self._cols.shape[1]:
            self._cols = np.concatenate([self._cols, np.empty_like(self._cols)], axis=1)
        uid = self._n_uid
        self._cols[:, uid] = x
        self._n_uid += 1
        self._uid_of[key] = uid
        self._occ.append([index])
        self._occ_ptr.append(0)
        return True

    def _flush(self) -> None:
        lo, hi = self._buffer_lo, self._n_uid
        self._trees.append((lo, hi, cKDTree(self._cols[:, lo:hi].T)))
        self._buffer_lo = hi
        # Merge while the newest tree is at least half the size of the one before it.
        while len(self._trees) >= 2:
            (a_lo, a_hi, _), (b_lo, b_hi, _) = self._trees[-2], self._trees[-1]
            if (b_hi - b_lo) * 2 < (a_hi - a_lo):
                break
            self._trees[-2:] = [(a_lo, b_hi, cKDTree(self._cols[:, a_lo:b_hi].T))]
        if self.capacity is not None:
            self._drop_dead_trees()

    def _drop_dead_trees(self) -> None:
        """Forget trees all of whose points have no active occurrence left."""
        start = self.start
        keep = []
        for lo, hi, tree in self._trees:
            if max(self._occ[u][-1] for u in range(lo, hi)) >= start:
                keep.append((lo, hi, tree))
        self._trees = keep

    def uid_ranges(self) -> list[tuple[int, int]]:
        return [(lo, hi) for lo, hi, _ in self._trees]


def brute_force_nearest(points: np.ndarray, x: np.ndarray, ties: str = "latest") -> int:
    """Reference answer: index of the nearest row of ``points`` (n, d), the last or the
    first of equally near rows (``ties``)."""
    d2 = sq_distances(np.asarray(points, dtype=np.float64).T, x)
    tied = np.flatnonzero(d2 == d2.min())
    return int(tied[-1] if ties == "latest" else tied[0])


#: The tie rules: which of several equally near stored tasks a query returns.
TIES = ("latest", "earliest")

__all__ = ["TIES", "NearestNeighbours", "brute_force_nearest"]
