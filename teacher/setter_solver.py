"""Setter-Solver (Racanière et al. 2020, "Automated curricula through setter-solver
interactions"), as TeachMyAgent's ``setter_solver.py`` runs it.

A *setter* network (a conditional real-NVP flow, :mod:`teacher._rnvp`) generates tasks
conditioned on a desired feasibility f drawn uniformly in (0, 1); a *judge* predicts from a
task the probability that the student succeeds (normalised return above
``success_threshold``). Every ``update_frequency`` episodes both are trained on the
episodes since the last fit (:mod:`teacher._setter_fit`: validity, feasibility and
coverage losses), in PyTorch, as the teacher's separable fit step; the fit's result (the
weights of both networks and Adam's moments) is logged, and tasks are drawn from the
installed setter by a numpy float64 forward pass, so a replay gives the same tasks on any
machine. Before the first fit, tasks are uniform (``bootstrap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from teacher import _arrays
from teacher import _params as P
from teacher._fit import AnyFit, ArrayFit, FitJob, derive_seed
from teacher._nn import exact_log, require_torch
from teacher._rnvp import (
    NUMPY_OPS,
    SetterShape,
    identity_start,
    init_weights,
    judge_shapes,
    setter_forward,
    setter_shapes,
)
from teacher.base import Teacher
from teacher.errors import InvalidParameterError, StateMismatchError
from teacher.space import TaskSpace

__all__ = ["SetterSolver", "SetterSolverFit"]

#: Desired feasibilities are drawn uniformly in [FEASIBILITY_LOW, 1) (the reference's).
FEASIBILITY_LOW = 1e-8
#: Feasibilities remembered for tasks issued and not yet reported (the oldest are dropped).
FEASIBILITY_MEMORY = 8192
#: Episodes waiting for a fit, at most this many update_frequency rounds (the oldest go).
MAX_UNFITTED_ROUNDS = 10
#: setter_start's values: the untrained setter proposes uniformly, or as the reference's.
SETTER_STARTS = ("uniform", "reference")


def _judge_sizes(name: str, value: Any) -> None:
    ok = isinstance(value, tuple | list) and len(value) <= 8 and all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in value)
    if not ok:
        raise InvalidParameterError(
            f"{name} must be a list of at most 8 layer sizes, integers in [1, 1024], "
            f"got {value!r}")


@dataclass(frozen=True, eq=False)
class SetterSolverFit:
    """One Setter-Solver fit: the installed networks (None before the first fit: then they
    are initialised from ``seed``), the episodes since (goals (n, d) in [0, 1],
    feasibility (n,) with NaN where unknown, success (n,) 0/1), and the hyper-parameters;
    ``float32``: the result's arrays rounded to float32 values (``fit_float32``). A setter
    with a logistic base (``setter_start="uniform"``) starts with every coupling the
    identity (:func:`teacher._rnvp.identity_start`). ``run()`` is pure and
    single-threaded."""

    fit_index: int
    episode: int
    seed: int
    shape: SetterShape
    judge_hidden_sizes: tuple[int, ...]
    learning_rate: float
    noise_ub: float
    train_steps: int
    goals: np.ndarray
    feasibility: np.ndarray
    success: np.ndarray
    previous: ArrayFit | None = None
    float32: bool = False

    def run(self) -> ArrayFit:
        from teacher._setter_fit import train

        if self.previous is None:
            shapes = {**setter_shapes(self.shape),
                      **judge_shapes(self.shape.dim, self.judge_hidden_sizes)}
            weights = init_weights(shapes, np.random.default_rng(derive_seed(self.seed, 0)))
            if self.shape.base == "logistic":
                weights = identity_start(weights)
            moments = {f"{mv}.{k}": np.zeros_like(a) for k, a in weights.items()
                       for mv in ("m", "v")}
            done = 0
        else:
            arrays = self.previous.arrays
            weights = {k: a for k, a in arrays.items() if not k.startswith(("m.", "v."))}
            moments = {k: a for k, a in arrays.items() if k.startswith(("m.", "v."))}
            done = int(self.previous.values["steps"])
        new_w, new_m, losses = train(
            weights, moments, done, self.goals, self.feasibility, self.success,
            shape=self.shape, judge_layers=len(self.judge_hidden_sizes) + 1,
            learning_rate=self.learning_rate, noise_ub=self.noise_ub,
            steps=self.train_steps, seed=derive_seed(self.seed, 1),
        )
        arrays = {**new_w, **new_m}
        if self.float32:  # the next fit starts from these: logged as float32, exactly
            arrays = {k: a.astype(np.float32).astype(np.float64) for k, a in arrays.items()}
        return ArrayFit(
            kind=SetterSolver.name, fit_index=self.fit_index, seed=self.seed,
            arrays=arrays,
            values={"episode": self.episode, "steps": done + self.train_steps,
                    "episodes_fitted": int(self.goals.shape[0]),
                    "successes": int(self.success.sum()), **losses},
        )


class SetterSolver(Teacher):
    """Setter-Solver teacher; origins ``bootstrap`` (uniform, before the first fit) and
    ``setter``. Needs PyTorch (the ``[neural]`` extra) to fit.

    update_frequency: episodes between two fits (one fit trains on the episodes since the
        previous one). success_threshold: an episode succeeds when its normalised return
        is above this. learning_rate: Adam's, for both networks. train_steps: Adam steps
        per network per fit. setter_hidden_size, setter_blocks, setter_layers_per_block:
        width of each coupling's highway networks, number of flow blocks (three couplings
        each), highway layers per network. judge_hidden_sizes: the judge's ReLU layers.
        setter_loss_noise_ub: succeeded goals get uniform noise in [0, this) in the
        validity loss (unit-box units). sample_batch: tasks drawn per forward pass of the
        setter (a cost knob; it changes which tasks a seed gives). fit_float32: round each
        fit's weights and Adam moments to float32 when the fit ends (training inside a
        fit stays float64), so that the fit event logs them as float32, half the bytes
        (params_version 2; version 1 kept float64). params_version 2 also made one flow block
        the default (3 before).
    """

    name: ClassVar[str] = "setter-solver"
    _checks: ClassVar[dict[str, P.Check]] = {
        "update_frequency": P.integer(1, 10**6),
        "success_threshold": P.real(),
        "learning_rate": P.real(0.0, 1.0, open_low=True),
        "train_steps": P.integer(1, 1000),
        "setter_hidden_size": P.integer(1, 1024),
        "setter_blocks": P.integer(1, 16),
        "setter_layers_per_block": P.integer(0, 16),
        "judge_hidden_sizes": _judge_sizes,
        "setter_loss_noise_ub": P.real(0.0, 1.0),
        "sample_batch": P.integer(1, 4096),
        "fit_float32": P.boolean,
        "setter_start": P.one_of(SETTER_STARTS),
    }
    params_version: ClassVar[int] = 3
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {
        # 2: fits rounded to float32 (float64 before) and one flow block (three before),
        # for the log's size (benchmarks/RESULTS.md, "Setter-Solver on the toy student")
        1: {"fit_float32": False, "setter_blocks": 3},
        # 3: an untrained setter proposes uniformly (benchmarks/RESULTS.md, "Setter-Solver on
        # the toy student")
        2: {"setter_start": "reference"},
    }

    def __init__(
        self,
        space: TaskSpace,
        *,
        update_frequency: int = 100,
        success_threshold: float = 0.76,
        learning_rate: float = 3e-4,
        train_steps: int = 1,
        setter_hidden_size: int = 32,
        setter_blocks: int = 1,
        setter_layers_per_block: int = 1,
        judge_hidden_sizes: tuple[int, ...] = (64, 64),
        setter_loss_noise_ub: float = 0.05,
        sample_batch: int = 32,
        fit_float32: bool = True,
        setter_start: str = "uniform",
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        self.update_frequency = update_frequency
        self.success_threshold = success_threshold
        self.learning_rate = learning_rate
        self.train_steps = train_steps
        self.setter_hidden_size = setter_hidden_size
        self.setter_blocks = setter_blocks
        self.setter_layers_per_block = setter_layers_per_block
        self.judge_hidden_sizes = judge_hidden_sizes
        self.setter_loss_noise_ub = setter_loss_noise_ub
        self.sample_batch = sample_batch
        self.fit_float32 = fit_float32
        self.setter_start = setter_start
        super().__init__(space, random_state=random_state, reward_bounds=reward_bounds)
        require_torch(self.name)  # fail now, naming the extra, rather than at the first fit
        self.shape_ = SetterShape(space.dim, setter_hidden_size, setter_blocks,
                                  setter_layers_per_block,
                                  "logistic" if setter_start == "uniform" else "normal")
        self._expected = {
            **setter_shapes(self.shape_), **judge_shapes(space.dim, tuple(judge_hidden_sizes))}
        self.fit_: ArrayFit | None = None
        self.fits_due_ = 0
        self._due_episode = 0
        self._job: SetterSolverFit | None = None
        d = space.dim
        self._rows = np.empty((0, d + 3))  # goal..., feasibility, success, episode
        self._queue = np.empty((0, d + 1))  # task..., feasibility
        self._memory: dict[bytes, float] = {}

    # -- sampling ----------------------------------------------------------------------------
    def _sample(self) -> tuple[np.ndarray, str]:
        if self.fit_ is None:
            return self.space.uniform(self._rng), "bootstrap"
        if self._queue.shape[0] == 0:
            self._queue = self._draw(self.sample_batch)
        task, f = self._queue[0, :-1].copy(), float(self._queue[0, -1])
        self._queue = self._queue[1:]
        self._memory.pop(task.tobytes(), None)
        self._memory[task.tobytes()] = f
        if len(self._memory) > FEASIBILITY_MEMORY:
            del self._memory[next(iter(self._memory))]
        return task, "setter"

    def _draw(self, n: int) -> np.ndarray:
        """n tasks from the installed setter with their desired feasibilities, (n, d + 1)."""
        f = self._rng.uniform(FEASIBILITY_LOW, 1.0, size=(n, 1))
        if self.shape_.base == "logistic":  # logit(u), u = (2k + 1) / 2^53 in (0, 1), exact
            u = (2 * self._rng.integers(0, 2**52, size=(n, self.space.dim)) + 1) * 2.0**-53
            z = exact_log(u) - exact_log(1.0 - u)
        else:
            z = self._rng.standard_normal((n, self.space.dim))
        assert self.fit_ is not None
        goals, _ = setter_forward(self.fit_.arrays, z, f, self.shape_, NUMPY_OPS)
        tasks = self.space.clip(self.space.low + goals * self.space.width)
        return np.concatenate([tasks, f], axis=1)

    # -- learning ----------------------------------------------------------------------------
    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> None:
        goal = (task - self.space.low) / self.space.width
        f = self._memory.pop(task.tobytes(), math.nan)
        n = self.n_updates_ + 1  # counts this update
        row = np.concatenate([goal, [f, float(reward > self.success_threshold), n]])
        self._rows = np.vstack([self._rows, row])
        cap = MAX_UNFITTED_ROUNDS * self.update_frequency
        if self._rows.shape[0] > cap:
            self._rows = self._rows[-cap:]
        if n % self.update_frequency == 0:
            self.fits_due_ = n // self.update_frequency
            self._due_episode = n
            self._job = None
        return None

    # -- fitting -----------------------------------------------------------------------------
    @property
    def pending_fit(self) -> FitJob | None:
        """The newest due fit (trained on every episode since the installed fit up to the
        one that made it due), or None."""
        if self.fits_due_ <= self.installed_fit_index:
            return None
        if self._job is None:
            rows = self._rows[self._rows[:, -1] <= self._due_episode]
            d = self.space.dim
            self._job = SetterSolverFit(
                fit_index=self.fits_due_, episode=self._due_episode,
                seed=derive_seed(self.entropy_, 1, self.fits_due_), shape=self.shape_,
                judge_hidden_sizes=tuple(self.judge_hidden_sizes),
                learning_rate=float(self.learning_rate),
                noise_ub=float(self.setter_loss_noise_ub), train_steps=self.train_steps,
                goals=_readonly(rows[:, :d]), feasibility=_readonly(rows[:, d]),
                success=_readonly(rows[:, d + 1]), previous=self.fit_,
                float32=bool(self.fit_float32),
            )
        return self._job

    def install_fit(self, result: AnyFit) -> None:
        """Install a fit (just computed, or read from a log); StateMismatchError if it is
        not this teacher's, not newer than the installed one, or of other shapes."""
        result = self._next_array_fit(result)
        want = {**self._expected, **{f"{mv}.{k}": s for k, s in self._expected.items()
                                      for mv in ("m", "v")}}
        got_shapes = {k: tuple(a.shape) for k, a in result.arrays.items()}
        if got_shapes != want:
            bad = sorted(set(want) ^ set(got_shapes)) or sorted(
                k for k in want if want[k] != got_shapes[k])
            raise StateMismatchError(
                f"fit arrays do not match this teacher's networks (first difference: "
                f"{bad[0]!r})")
        for key in ("episode", "steps"):
            if not isinstance(result.values.get(key), int):
                raise StateMismatchError(f"fit values must hold an integer {key!r}")
        self.fit_ = result
        self._rows = self._rows[self._rows[:, -1] > int(result.values["episode"])]
        self._queue = self._queue[:0]
        self._job = None

    @property
    def installed_fit_index(self) -> int:
        return 0 if self.fit_ is None else int(self.fit_.fit_index)

    @property
    def fits_due(self) -> int:
        return self.fits_due_

    def describe_state(self) -> dict[str, Any]:
        return {**super().describe_state(), "fits": self.installed_fit_index,
                "unfitted_episodes": int(self._rows.shape[0])}

    # -- state -------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        tasks = np.array([np.frombuffer(k, dtype=np.float64) for k in self._memory])
        return {
            "fit": None if self.fit_ is None else self.fit_.to_json(),
            "fits_due": self.fits_due_,
            "due_episode": self._due_episode,
            "rows": _arrays.encode(self._rows),
            "queue": _arrays.encode(self._queue),
            "memory_tasks": _arrays.encode(tasks.reshape(-1, self.space.dim)),
            "memory_feasibility": _arrays.encode(np.array(list(self._memory.values()))),
        }

    def _set_state(self, s: dict[str, Any]) -> None:
        d = self.space.dim
        if s["fit"] is not None:
            self.install_fit(ArrayFit.from_json(s["fit"]))
        self.fits_due_ = int(s["fits_due"])
        self._due_episode = int(s["due_episode"])
        rows, queue = _arrays.decode(s["rows"]), _arrays.decode(s["queue"])
        tasks, feas = _arrays.decode(s["memory_tasks"]), _arrays.decode(s["memory_feasibility"])
        if rows.shape[1:] != (d + 3,) or queue.shape[1:] != (d + 1,) or (
                tasks.shape[1:] != (d,) or feas.shape != (tasks.shape[0],)):
            raise StateMismatchError("setter-solver state arrays have the wrong shapes")
        self._rows, self._queue = rows, queue
        self._memory = {np.ascontiguousarray(t).tobytes(): float(f)
                        for t, f in zip(tasks, feas, strict=True)}


def _readonly(a: np.ndarray) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr
