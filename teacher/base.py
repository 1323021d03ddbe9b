"""The teacher base class: validation and book-keeping around a few protected hooks."""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from teacher import _arrays, _versions
from teacher import _params as P
from teacher._fit import AnyFit, ArrayFit, FitJob, FitRequest, FitResult, derive_seed, run_fit
from teacher.errors import InvalidParameterError, InvalidReturnError, StateMismatchError
from teacher.space import TaskSpace

__all__ = [
    "Teacher", "Sample", "MAX_TASK_SEED", "FitRecord", "TeacherRecord", "STATE_FORMAT_VERSION",
    "BASE_PARAMS",
]

#: The arguments every teacher takes from :class:`Teacher` itself rather than as its own
#: hyper-parameters (a curriculum configuration holds them in fields of its own).
BASE_PARAMS = ("random_state", "reward_bounds")

STATE_FORMAT_VERSION = 1


#: Environment seeds a teacher may choose with a task lie in [0, MAX_TASK_SEED].
MAX_TASK_SEED = 2**31 - 1


class Sample(NamedTuple):
    """A sampled task (array of shape (d,), in the space's units), its origin, and the
    environment seed the teacher chose with it (None: the worker seeds as it likes). A
    seed makes a procedurally generated level reproducible, so a teacher can replay it."""

    task: np.ndarray
    origin: str
    seed: int | None = None


@dataclass
class FitRecord:
    """One installed fit: the mixture over [task..., extra] coordinates and each
    component's interest (ALP for ALP-GMM). ``episode`` is the number of updates the
    teacher had received when the fit took effect."""

    fit_index: int
    episode: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    alp: np.ndarray

    def to_json(self) -> dict[str, Any]:
        return {
            "fit_index": self.fit_index,
            "episode": self.episode,
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "alp": self.alp.tolist(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FitRecord:
        return cls(
            int(d["fit_index"]),
            int(d["episode"]),
            np.asarray(d["weights"], dtype=float),
            np.asarray(d["means"], dtype=float),
            np.asarray(d["covariances"], dtype=float),
            np.asarray(d["alp"], dtype=float),
        )


@dataclass
class TeacherRecord:
    """What the teacher did, for logs and plots.

    origins: one string per sampled task — ``bootstrap``, ``random``, ``gaussian:<i>``,
    ``region:<i>``, ``mutation:<i>`` or ``oracle``.
    alps: one value per update (the ALP the teacher computed; NaN where it has none).
    fits: every installed fit, in order.
    """

    origins: list[str] = field(default_factory=list)
    alps: list[float] = field(default_factory=list)
    fits: list[FitRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Compact and exact: origins as label codes, ALPs as base64 float64."""
        labels = sorted(set(self.origins))
        index = {label: i for i, label in enumerate(labels)}
        codes = np.fromiter((index[o] for o in self.origins), dtype=np.float64,
                            count=len(self.origins))
        return {
            "origin_labels": labels,
            "origin_codes": _arrays.encode(codes),
            "alps": _arrays.encode(np.asarray(self.alps, dtype=np.float64)),
            "fits": [f.to_json() for f in self.fits],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TeacherRecord:
        labels = [str(x) for x in d["origin_labels"]]
        codes = _arrays.decode(d["origin_codes"]).astype(np.int64)
        return cls(
            origins=[labels[c] for c in codes.tolist()],
            alps=_arrays.decode(d["alps"]).tolist(),
            fits=[FitRecord.from_json(f) for f in d["fits"]],
        )


class Teacher(ABC):
    """Base class of every teacher.

    Public methods validate and keep the books, then call the protected hooks
    ``_sample`` and ``_observe`` that subclasses implement. Hyper-parameters are
    keyword-only constructor arguments stored as given and validated by ``_checks``;
    learned state lives in attributes ending in ``_``.

    Parameters common to all teachers
    ---------------------------------
    random_state: None or int >= 0. Seeds the teacher's own generators (never NumPy's
        global one). None draws fresh entropy, recorded in ``entropy_``.
    reward_bounds: None or (low, high). Returns are mapped linearly to [0, 1] over these
        bounds and clipped; without bounds the raw return is used.
    """

    name: ClassVar[str] = ""
    _checks: ClassVar[dict[str, P.Check]] = {}
    #: The version of this teacher's hyper-parameters, recorded in saved states and logged
    #: configurations; add 1 whenever a hyper-parameter is added or a default changes
    #: (teacher/_versions.py).
    params_version: ClassVar[int] = 1
    #: version N -> {hyper-parameter added (or default changed) in N+1: the value that
    #: reproduces version N}.
    param_migrations: ClassVar[dict[int, dict[str, Any]]] = {}
    #: Whether per-episode scores (``observe(..., score=)``, ``observe_score``) change what
    #: this teacher does; students skip computing and sending them for one that ignores them.
    uses_scores: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _versions.check_table(cls.__name__, cls.params_version, cls.param_migrations,
                              cls.param_names())

    def __init__(
        self,
        space: TaskSpace,
        *,
        random_state: int | None = None,
        reward_bounds: tuple[float, float] | None = None,
    ):
        if not isinstance(space, TaskSpace):
            raise InvalidParameterError(
                f"space must be a TaskSpace, got {type(space).__name__}"
            )
        self.space = space
        self.random_state = random_state
        self.reward_bounds = reward_bounds
        self._validate_params()
        self.entropy_ = (
            int(random_state)
            if random_state is not None
            else int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]
        )
        self._rng = np.random.default_rng(derive_seed(self.entropy_, 0))
        self.n_updates_ = 0
        self.n_sampled_ = 0
        self.record_ = TeacherRecord()

    # -- parameters ----------------------------------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the keyword hyper-parameters this teacher accepts."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]

    @classmethod
    def migrate_params(cls, params: dict[str, Any], version: int | None) -> dict[str, Any]:
        """``params`` recorded under hyper-parameter ``version`` as today's: those added
        since get the value that reproduces that version. ``None`` (a new configuration)
        returns them unchanged, so omitted ones take today's defaults."""
        if version is None:
            return dict(params)
        return _versions.migrate(params, version, cls.param_migrations, cls.params_version,
                                 owner=cls.name)

    @classmethod
    def infer_params_version(cls, params: dict[str, Any]) -> int:
        """The version of ``params`` recorded before versions existed: the one documented
        inference (teacher/_versions.py)."""
        names = set(cls.param_names()) - set(BASE_PARAMS)
        return _versions.infer_version(params, names, cls.param_migrations, cls.params_version)

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as given, JSON-friendly (tuples become lists)."""
        out: dict[str, Any] = {}
        for name in self.param_names():
            v = getattr(self, name)
            out[name] = list(v) if isinstance(v, tuple) else v
        return out

    def _validate_params(self) -> None:
        checks = {"random_state": P.seed, "reward_bounds": P.optional(P.bounds_pair)}
        checks.update(self._checks)
        for name, check in checks.items():
            check(name, getattr(self, name))
        self._check_consistency()

    def _check_consistency(self) -> None:  # noqa: B027 - optional hook
        """Checks that involve several parameters or the space; subclasses extend."""

    # -- sampling --------------------------------------------------------------------------
    def sample(self) -> Sample:
        """Sample the next task and record its origin."""
        drawn = self._sample()
        task, origin = drawn[0], drawn[1]
        seed = drawn[2] if len(drawn) > 2 else None  # type: ignore[misc]
        if seed is not None:
            seed = int(seed)
            if not 0 <= seed <= MAX_TASK_SEED:
                raise ValueError(f"teacher {self.name!r} drew seed {seed} outside "
                                 f"[0, {MAX_TASK_SEED}]")
        task = self.space.clip(np.asarray(task, dtype=np.float64))
        self.n_sampled_ += 1
        self.record_.origins.append(origin)
        return Sample(task, origin, seed)

    def sample_task(self) -> np.ndarray:
        """The next task: array of shape (d,), in the space's order and units."""
        return self.sample().task

    # -- updates ---------------------------------------------------------------------------
    def normalise_return(self, episode_return: float) -> float:
        if self.reward_bounds is None:
            return float(episode_return)
        lo, hi = self.reward_bounds
        return float(min(1.0, max(0.0, (episode_return - lo) / (hi - lo))))

    def observe(self, task: Any, episode_return: Any, score: Any = None) -> float:
        """Record one finished episode without running a due fit (see ``pending_fit``).

        task: any in-bounds task (array of shape (d,) or ``{name: value}``), issued by
        this teacher or not. score: None or a finite number the student computed for the
        episode (e.g. PLR's positive value loss); teachers that do not use scores ignore
        it. Returns the ALP the teacher computed (NaN if none).
        """
        arr = self.space.validate(task)
        raw = check_return(episode_return)
        sc = None if score is None else check_return(score, "score")
        alp = self._observe(arr, self.normalise_return(raw), raw, sc)
        self.n_updates_ += 1
        self.record_.alps.append(math.nan if alp is None else float(alp))
        return math.nan if alp is None else float(alp)

    def update(self, task: Any, episode_return: Any, score: Any = None) -> float:
        """Record one finished episode; if a fit becomes due, run and install it now."""
        alp = self.observe(task, episode_return, score)
        request = self.pending_fit
        if request is not None:
            self.install_fit(run_fit(request))
        return alp

    def observe_score(self, task: Any, score: Any) -> None:
        """A score for an episode of ``task`` observed earlier without one (a worker may
        know it only once its rollout ends). Teachers that do not use scores ignore it."""
        arr = self.space.validate(task)
        self._observe_score(arr, check_return(score, "score"))

    # -- fitting (GMM teachers override) -----------------------------------------------------
    @property
    def pending_fit(self) -> FitRequest | FitJob | None:
        """The newest fit that is due and not yet installed, or None."""
        return None

    def install_fit(self, result: AnyFit) -> None:
        raise StateMismatchError(f"teacher {self.name!r} does not fit")

    def _next_array_fit(self, result: AnyFit) -> ArrayFit:
        """``result`` if it can be this teacher's next fit: an :class:`ArrayFit` of kind
        ``self.name`` newer than the installed fit; else StateMismatchError (for the
        ``install_fit`` of a teacher whose fits are not mixtures)."""
        if not isinstance(result, ArrayFit) or result.kind != self.name:
            got = result.kind if isinstance(result, ArrayFit) else type(result).__name__
            raise StateMismatchError(
                f"fit must be an ArrayFit of kind {self.name!r}, got {got!r}")
        last = self.installed_fit_index
        if result.fit_index <= last:
            raise StateMismatchError(
                f"fit_index must be greater than the installed fit's ({last}), "
                f"got {result.fit_index}")
        return result

    @property
    def fits_installed_(self) -> int:
        return len(self.record_.fits)

    # -- what a host may read (the server reads a teacher only through these) ------------------
    @property
    def installed_fit(self) -> FitResult | None:
        """The fitted mixture in use (mixture teachers), None before the first or for
        teachers that never fit."""
        return None

    @property
    def installed_fit_index(self) -> int:
        """The ``fit_index`` of the fit in use, 0 before the first. Teachers whose fits are
        not mixtures (:class:`teacher._fit.ArrayFit`) override it."""
        fit = self.installed_fit
        return 0 if fit is None else int(fit.fit_index)

    @property
    def fits_due(self) -> int:
        """Fits the updates so far have called for, installed or not (0 for teachers
        that never fit)."""
        return 0

    def describe_state(self) -> dict[str, Any]:
        """What a host may show of the learned state (the dashboard draws it), JSON-ready;
        ``kind`` names its shape. Here the counts every teacher keeps; a teacher with a
        state worth drawing overrides it (RIAC: its leaf regions; the oracle: its window).
        A mixture is read through :attr:`installed_fit` instead."""
        return {"kind": "counts", "updates": int(self.n_updates_),
                "sampled": int(self.n_sampled_)}

    # -- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The whole teacher as a JSON-serialisable value (carries a format version)."""
        return {
            "format_version": STATE_FORMAT_VERSION,
            "teacher": self.name,
            "space": self.space.to_json(),
            "params": self.get_params(),
            "params_version": self.params_version,
            "entropy": self.entropy_,
            "rng": self._rng.bit_generator.state,
            "n_updates": self.n_updates_,
            "n_sampled": self.n_sampled_,
            "record": self.record_.to_json(),
            "state": self._get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace this teacher by the one ``state`` describes (hyper-parameters included).

        The state must come from the same kind of teacher over the same task space. On any
        error this teacher is left unchanged.
        """
        if not isinstance(state, dict):
            raise StateMismatchError(f"state must be a dict, got {type(state).__name__}")
        version = state.get("format_version")
        if version != STATE_FORMAT_VERSION:
            raise StateMismatchError(
                f"state format_version must be {STATE_FORMAT_VERSION}, got {version!r}"
            )
        if state.get("teacher") != self.name:
            raise StateMismatchError(
                f"state is for teacher {state.get('teacher')!r}, this teacher is {self.name!r}"
            )
        try:
            space = TaskSpace.from_json(state["space"])
        except (KeyError, ValueError) as exc:
            raise StateMismatchError(f"state space is invalid: {exc}") from None
        if space != self.space:
            raise StateMismatchError(
                f"state is for space {space!r}, this teacher's space is {self.space!r}"
            )
        try:
            params = dict(state["params"])
            version = (state["params_version"] if "params_version" in state
                       else self.infer_params_version(params))
            params = self.migrate_params(params, version)
            for k, v in params.items():
                if isinstance(v, list):
                    params[k] = to_tuples(v)
            fresh = type(self)(self.space, **params)
            fresh.entropy_ = int(state["entropy"])
            fresh._rng = np.random.default_rng()
            fresh._rng.bit_generator.state = state["rng"]
            fresh.n_updates_ = int(state["n_updates"])
            fresh.n_sampled_ = int(state["n_sampled"])
            fresh.record_ = TeacherRecord.from_json(state["record"])
            fresh._set_state(state["state"])
        except StateMismatchError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise StateMismatchError(f"state is malformed: {type(exc).__name__}: {exc}") from None
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)

    # -- hooks -------------------------------------------------------------------------------
    @abstractmethod
    def _sample(self) -> tuple[np.ndarray, str] | tuple[np.ndarray, str, int]:
        """Return (task array (d,), origin) or (task, origin, environment seed)."""

    @abstractmethod
    def _observe(self, task: np.ndarray, reward: float, raw_return: float,
                 score: float | None) -> float | None:
        """Learn from one episode; ``reward`` is normalised, ``score`` the student's
        per-episode score if it sent one. Return the ALP, if any."""

    def _observe_score(self, task: np.ndarray, score: float) -> None:  # noqa: B027
        """A late score for an episode of ``task`` (see :meth:`observe_score`)."""

    def _get_state(self) -> dict[str, Any]:
        return {}

    def _set_state(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Restore what ``_get_state`` returned (on a fresh instance)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({self.space!r}, {params})"


def to_tuples(v: Any) -> Any:
    """JSON lists (nested) back to the tuples hyper-parameters are given as."""
    return tuple(to_tuples(x) for x in v) if isinstance(v, list) else v


def check_return(value: Any, field: str = "episode_return") -> float:
    """``value`` as a float, or InvalidReturnError naming ``field`` if it is not a
    finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidReturnError(f"{field} must be a finite number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidReturnError(f"{field} must be a finite number, got {number!r}")
    return number
