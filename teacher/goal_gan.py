"""GoalGAN (Florensa, Held, Geng, Abbeel, ICML 2018), as TeachMyAgent runs it.

A generator proposes tasks; each proposed task is given to the student ``n_rollouts``
times and labelled a *goal of intermediate difficulty* when its success rate lies in
[``goid_lb``, ``goid_ub``]. Every ``update_size`` labelled tasks a least-squares GAN is
trained to generate more tasks like the positive ones (teacher/_gan.py); tasks the student
masters (success rate above ``goid_ub``) join a pool replayed with probability ``p_old``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from teacher import _arrays, _initial
from teacher import _params as P
from teacher._fit import AnyFit, ArrayFit, FitJob, derive_seed
from teacher._gan import KIND, GANFitJob, GANShape
from teacher._gan import generator_layers as layer_names
from teacher._nn import mlp_forward, require_torch
from teacher.base import Teacher
from teacher.errors import InvalidParameterError, StateMismatchError
from teacher.space import TaskSpace

__all__ = ["GoalGAN"]

PRETRAIN = ("initial", "subspace", "uniform", "none")


def _layers(name: str, value: Any) -> None:
    ok = isinstance(value, tuple | list) and 1 <= len(value) <= 4 and all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in value)
    if not ok:
        raise InvalidParameterError(
            f"{name} must be a list of 1 to 4 layer sizes in [1, 1024], got {value!r}")


class GoalGAN(Teacher):
    """GoalGAN: tasks from a GAN trained on tasks of intermediate difficulty.

    Sampling (in order): a queued repeat of a generated task (origin ``repeat``, until it
    has had ``n_rollouts`` episodes); before the first fit, a uniform task (``bootstrap``,
    labelled like a generated one); with probability ``p_old`` (once the pool is not
    empty) a pool task plus Gaussian noise (``replay``); otherwise a generator sample plus
    Gaussian noise (``gan``), its repeats queued. Noise sd: ``state_noise_level`` of each
    range. Tasks are clipped to the box.

    Labels: a task counts as a success when its (normalised) return is above
    ``success_threshold``. Once a generated task has ``n_rollouts`` results its success
    rate r is computed: positive iff goid_lb <= r <= goid_ub; r > goid_ub adds it to the
    pool unless a pool task lies within ``success_distance_threshold`` x the box diagonal.

    Fits: when ``update_size`` tasks are labelled and at least one is positive, a GAN fit
    is due (a batch without positives is dropped, as in TeachMyAgent). The first fit is
    due at once: fresh networks, pretrained (``pretrain``) on 1000 tasks, clipped to the
    box, from the initial Gaussian (``"initial"``: ``initial_mean`` / ``initial_std``,
    SPDL's names, units and defaults: the low corner, sd 10% of each range; TeachMyAgent
    with expert knowledge), from a Gaussian at a random point with sd 10% of each range
    (``"subspace"``: TeachMyAgent without it), uniform tasks (``"uniform"``), or not at
    all (``"none"``).

    Parameters: see docs/teachers.md (goal-gan) for each default and its source.
    """

    name: ClassVar[str] = KIND
    _checks: ClassVar[dict[str, P.Check]] = {
        "state_noise_level": P.real(0.0, 1.0),
        "success_distance_threshold": P.real(0.0, 1.0),
        "update_size": P.integer(1, 100_000),
        "n_rollouts": P.integer(1, 100),
        "goid_lb": P.real(0.0, 1.0),
        "goid_ub": P.real(0.0, 1.0),
        "p_old": P.real(0.0, 1.0),
        "success_threshold": P.real(),
        "pretrain": P.one_of(list(PRETRAIN)),
        **_initial.CHECKS,
        "pretrain_iterations": P.integer(0, 100_000),
        "gan_iterations": P.integer(1, 100_000),
        "generator_layers": _layers,
        "discriminator_layers": _layers,
        "batch_size": P.integer(1, 100_000),
        "learning_rate": P.real(0.0, 1.0, open_low=True),
    }
    params_version: ClassVar[int] = 2
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {
        # 2: pretraining on the initial Gaussian, the new default (a random subspace before)
        1: {"pretrain": "subspace", "initial_mean": None, "initial_std": None},
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        state_noise_level: float = 0.1,
        success_distance_threshold: float = 0.01,
        update_size: int = 100,
        n_rollouts: int = 2,
        goid_lb: float = 0.25,
        goid_ub: float = 0.75,
        p_old: float = 0.1,
        success_threshold: float = 0.76,
        pretrain: str = "initial",
        initial_mean: tuple[float, ...] | None = None,
        initial_std: tuple[float, ...] | None = None,
        pretrain_iterations: int = 500,
        gan_iterations: int = 250,
        generator_layers: tuple[int, ...] = (64, 64),
        discriminator_layers: tuple[int, ...] = (64, 64),
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.state_noise_level = state_noise_level
        self.success_distance_threshold = success_distance_threshold
        self.update_size = update_size
        self.n_rollouts = n_rollouts
        self.goid_lb = goid_lb
        self.goid_ub = goid_ub
        self.p_old = p_old
        self.success_threshold = success_threshold
        self.pretrain = pretrain
        self.initial_mean = initial_mean
        self.initial_std = initial_std
        self.pretrain_iterations = pretrain_iterations
        self.gan_iterations = gan_iterations
        self.generator_layers = generator_layers
        self.discriminator_layers = discriminator_layers
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        require_torch(KIND)  # fail now, naming the extra, rather than at the first fit
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        d = space.dim
        self._shape = GANShape(d, d, tuple(generator_layers), tuple(discriminator_layers))
        self._gen_layers = layer_names(self._shape)
        self._centre = (space.low + space.high) / 2.0
        self._width = space.high - space.low
        self._noise = state_noise_level * self._width
        self._min_gap = success_distance_threshold * float(np.linalg.norm(self._width))
        self.fit_: ArrayFit | None = None
        self.fits_due_ = 1  # the first fit (fresh, pretrained networks) is due at once
        self._batches: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # due, uninstalled
        self._contexts: list[np.ndarray] = []
        self._labels: list[float] = []
        self._pending: dict[bytes, list[list[float]]] = {}
        self._queue: list[np.ndarray] = []
        self.pool_ = np.zeros((0, d))
        self.n_labelled_ = 0
        self.n_positive_ = 0

    def _check_consistency(self) -> None:
        if self.goid_lb > self.goid_ub:
            raise InvalidParameterError(
                f"goid_lb must be <= goid_ub, got {self.goid_lb!r} > {self.goid_ub!r}")
        _initial.check_lengths(self.space, {"initial_mean": self.initial_mean,
                                            "initial_std": self.initial_std})

    # -- sampling --------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        if self._queue:
            return self._queue.pop(0), "repeat"
        if self.fit_ is None:
            return self._propose(self.space.uniform(self._rng)), "bootstrap"
        if len(self.pool_) and self._rng.random() < self.p_old:
            i = int(self._rng.integers(len(self.pool_)))
            task = self.pool_[i] + self._noise * self._rng.standard_normal(self.space.dim)
            return self.space.clip(task), "replay"
        z = self._rng.standard_normal(self._shape.noise_size)
        layers, acts = self._gen_layers
        out = mlp_forward(self.fit_.arrays, "gen", z, layers, acts)
        task = self._centre + out * self._width
        task = task + self._noise * self._rng.standard_normal(self.space.dim)
        return self._propose(self.space.clip(task)), "gan"

    def _propose(self, task: np.ndarray) -> np.ndarray:
        """Register a proposed task for labelling; queue its repeats."""
        task = np.asarray(task, dtype=np.float64)
        self._pending.setdefault(task.tobytes(), []).append([])
        self._queue.extend(task.copy() for _ in range(self.n_rollouts - 1))
        return task

    # -- updates ---------------------------------------------------------------------------
    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        key = np.asarray(task, dtype=np.float64).tobytes()
        runs = self._pending.get(key)
        if runs is None:  # a repeat, a replay or a task this teacher did not propose
            return None
        runs[0].append(1.0 if reward > self.success_threshold else 0.0)
        if len(runs[0]) >= self.n_rollouts:
            rate = float(np.mean(runs[0]))
            positive = self.goid_lb <= rate <= self.goid_ub
            self._contexts.append((task - self._centre) / self._width)
            self._labels.append(1.0 if positive else 0.0)
            self.n_labelled_ += 1
            self.n_positive_ += int(positive)
            if rate > self.goid_ub:
                self._add_to_pool(task)
            del runs[0]
            if not runs:
                del self._pending[key]
        if len(self._contexts) >= self.update_size:
            if any(self._labels):
                self.fits_due_ += 1
                self._batches.append((self.fits_due_, self.n_updates_ + 1,
                                      np.array(self._contexts), np.array(self._labels)))
            self._contexts, self._labels = [], []
        return None

    def _add_to_pool(self, task: np.ndarray) -> None:
        if len(self.pool_):
            gap = float(np.min(np.linalg.norm(self.pool_ - task, axis=1)))
            if gap <= self._min_gap:
                return
        self.pool_ = np.vstack([self.pool_, task[None, :]])

    # -- fitting ---------------------------------------------------------------------------
    @property
    def pending_fit(self) -> FitJob | None:
        installed = self.installed_fit_index
        if self.fits_due_ <= installed:
            return None
        batches = tuple((x, y) for i, _, x, y in self._batches if i > installed)
        episode = max([0] + [e for i, e, _, _ in self._batches if i > installed])
        first = self.fit_ is None
        job = GANFitJob(
            fit_index=self.fits_due_, episode=episode,
            seed=derive_seed(self.entropy_, 1, self.fits_due_), shape=self._shape,
            state={} if first else dict(self.fit_.arrays),  # type: ignore[union-attr]
            pretrain_tasks=self._pretrain_tasks() if first else None,
            pretrain_iterations=self.pretrain_iterations if first else 0,
            batches=batches, iterations=self.gan_iterations, batch_size=self.batch_size,
            learning_rate=self.learning_rate,
        )
        return job

    def _pretrain_tasks(self) -> np.ndarray | None:
        """1000 normalised tasks to pretrain on, drawn from a stream of their own."""
        if self.pretrain == "none":
            return None
        rng = np.random.default_rng(derive_seed(self.entropy_, 2))
        d = self.space.dim
        if self.pretrain == "uniform":
            x = rng.uniform(-0.5, 0.5, size=(1000, d))
        elif self.pretrain == "initial":  # normalised like the GAN's tasks, then clipped
            mean, std = _initial.gaussian(self.space, self.initial_mean, self.initial_std)
            z = rng.standard_normal((1000, d))
            x = np.clip((mean - self._centre + std * z) / self._width, -0.5, 0.5)
        else:
            mean = rng.uniform(-0.5, 0.5, size=d)
            x = np.clip(mean + 0.1 * rng.standard_normal((1000, d)), -0.5, 0.5)
        return x

    @property
    def installed_fit_index(self) -> int:
        return 0 if self.fit_ is None else int(self.fit_.fit_index)

    @property
    def fits_due(self) -> int:
        return self.fits_due_

    def install_fit(self, result: AnyFit) -> None:
        """Install GAN weights (just trained, or read back from a log)."""
        result = self._next_array_fit(result)
        expected = self._shape.array_shapes()
        if set(result.arrays) != set(expected):
            raise StateMismatchError(
                f"fit arrays must be {sorted(expected)}, got {sorted(result.arrays)}")
        for name, shape in expected.items():
            if result.arrays[name].shape != shape:
                raise StateMismatchError(f"fit array {name!r} must have shape {shape}, "
                                         f"got {result.arrays[name].shape}")
        self.fit_ = result
        self._batches = [b for b in self._batches if b[0] > result.fit_index]

    def describe_state(self) -> dict[str, Any]:
        return {**super().describe_state(), "pool": int(len(self.pool_)),
                "labelled": int(self.n_labelled_), "positive": int(self.n_positive_),
                "fits": self.installed_fit_index}

    # -- state -----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        enc = _arrays.encode
        return {
            "fit": None if self.fit_ is None else self.fit_.to_json(),
            "fits_due": self.fits_due_,
            "batches": [[i, e, enc(x), enc(y)] for i, e, x, y in self._batches],
            "contexts": enc(np.array(self._contexts).reshape(-1, self.space.dim)),
            "labels": enc(np.array(self._labels)),
            # copies: a host may serialise the state after more updates (snapshots)
            "pending": [[enc(np.frombuffer(k, dtype=np.float64)), [list(r) for r in v]]
                        for k, v in self._pending.items()],
            "queue": enc(np.array(self._queue).reshape(-1, self.space.dim)),
            "pool": enc(self.pool_),
            "labelled": self.n_labelled_,
            "positive": self.n_positive_,
        }

    def _set_state(self, s: dict[str, Any]) -> None:
        dec = _arrays.decode
        self.fit_ = None
        if s["fit"] is not None:
            self.install_fit(ArrayFit.from_json(s["fit"]))
        self.fits_due_ = int(s["fits_due"])
        self._batches = [(int(i), int(e), dec(x), dec(y)) for i, e, x, y in s["batches"]]
        self._contexts = list(dec(s["contexts"]))
        self._labels = [float(v) for v in dec(s["labels"])]
        self._pending = {dec(k).tobytes(): [[float(x) for x in run] for run in v]
                         for k, v in s["pending"]}
        self._queue = list(dec(s["queue"]))
        self.pool_ = dec(s["pool"]).reshape(-1, self.space.dim)
        self.n_labelled_ = int(s["labelled"])
        self.n_positive_ = int(s["positive"])
