"""Shared base of the parameterised walker environments.

:class:`ParametricWalkerEnv` subclasses gymnasium's BipedalWalker for its rendering and
spaces conventions, and replaces what a task and a choice of body change: the track (a
hook, :meth:`ParametricWalkerEnv._generate_track`), the walker's bodies, reset and step.
Physics, observation, reward and termination follow the reference environment
(teachDeepRL's parameterised BipedalWalker) operation for operation; docs/envs.md lists
where and why we differ. Task validation lives in :class:`envs._tasks.TaskSpec`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import Box2D
import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.box2d.bipedal_walker import BipedalWalker
from gymnasium.error import ResetNeeded
from gymnasium.utils import EzPickle

from envs._bodies import GroundContacts, LidarRay, build_walker
from envs._tasks import TaskLike, TaskSpec
from envs._terrain import build_track
from envs._track import FINISH_X, GROUND_Y, Track
from envs._walkers import LIDAR_RAYS, SCALE, walker_spec

__all__ = ["ParametricWalkerEnv"]

FPS = 50
_START_X = 14 / SCALE * 20 / 2  # hull x at reset, metres (the middle of the start pad)
_VIEW_W = 600 / SCALE  # viewport size, metres: scales the observed velocities
_VIEW_H = 400 / SCALE
_SPEED_HIP = 4  # motor speed at any nonzero action, rad/s
_SPEED_KNEE = 6
_LIDAR_RANGE = 160 / SCALE
_RAY_ANGLES = [1.5 * i / LIDAR_RAYS for i in range(LIDAR_RAYS)]  # radians from straight down
_RAY_DX = tuple(math.sin(a) * _LIDAR_RANGE for a in _RAY_ANGLES)
_RAY_DY = tuple(math.cos(a) * _LIDAR_RANGE for a in _RAY_ANGLES)
#: The initial push is drawn uniformly in [-INITIAL_PUSH, INITIAL_PUSH] newtons.
INITIAL_PUSH = 5.0
_FALL_REWARD = -100
_LIDAR_MODES = ("first", "nearest")
_CONTACT_MODES = ("first_pair", "all")
_DTYPES = {"float32": np.float32, "float64": np.float64}


def _choice(label: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{label} must be one of {allowed}, got {value!r}")
    return value


def _check_push(push: object) -> float:
    if isinstance(push, bool | np.bool_) or not isinstance(push, numbers.Real):
        raise ValueError(f"options['push'] must be a number (newtons), got {push!r}")
    value = float(push)
    if not math.isfinite(value):
        raise ValueError(f"options['push'] must be a finite number (newtons), got {value!r}")
    return value


def _check_track(track: object) -> Track:
    if isinstance(track, Track):
        return track
    try:
        return Track.from_dict(track)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"options['track']: {exc}") from None


class ParametricWalkerEnv(BipedalWalker):
    """A walker on a track whose obstacles a task parameterises.

    Subclasses set :attr:`task_spec` and implement :meth:`_generate_track`.

    Args:
        render_mode: None, ``"rgb_array"`` (frames (400, 600, 3) uint8) or ``"human"``.
        walker: body name, one of :data:`envs.WALKERS`.
        task: initial task (mapping name -> value, or values in canonical order);
            ``task_spec.default`` when None. Applied at the first reset.
        max_episode_steps: truncate episodes after this many steps; None leaves the cap to
            the ``TimeLimit`` wrapper that ``gymnasium.make`` adds (2000 steps).
        lidar: ``"first"`` (the reference: a ray stops at the first terrain fixture Box2D
            reports, not always the nearest) or ``"nearest"`` (the nearest hit).
        foot_contact: ``"first_pair"`` (the reference: only the first leg pair's feet
            sense contact, as a flag cleared when any of their contacts ends) or ``"all"``
            (every foot reads 1 while it touches the terrain).
        observation_dtype: ``"float32"`` (the observation space's dtype, as gymnasium's
            BipedalWalker) or ``"float64"`` (the reference's exact values).

    Reset options (all optional): ``task`` (the task to apply), ``track`` (a
    :class:`~envs.Track` or its ``to_dict()``: play this geometry instead of generating
    one from the task), ``push`` (the initial horizontal force on the hull, newtons,
    instead of a draw in [-5, 5]).

    Attributes:
        task_names: parameter names in canonical order.
        task_space: ``gymnasium.spaces.Box`` (float64) of the tasks, same order.
        walker: the :class:`~envs._walkers.WalkerSpec` in use.
        observation_names: name of each observation entry.
        mastery_threshold: an episode return above this masters the task.

    Raises:
        UnknownWalkerError, InvalidEnvTaskError, ValueError: on bad arguments.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": FPS}
    task_spec: ClassVar[TaskSpec]

    def __init__(
        self,
        render_mode: str | None = None,
        walker: str = "default",
        task: TaskLike | None = None,
        max_episode_steps: int | None = None,
        lidar: str = "first",
        foot_contact: str = "first_pair",
        observation_dtype: str = "float32",
    ) -> None:
        body = walker_spec(walker)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of None, 'human', 'rgb_array', got {render_mode!r}"
            )
        if max_episode_steps is not None and (
            isinstance(max_episode_steps, bool)
            or not isinstance(max_episode_steps, int)
            or max_episode_steps < 1
        ):
            raise ValueError(
                f"max_episode_steps must be a positive integer or None, got {max_episode_steps!r}"
            )
        _choice("lidar", lidar, _LIDAR_MODES)
        _choice("foot_contact", foot_contact, _CONTACT_MODES)
        dtype = _DTYPES[_choice("observation_dtype", observation_dtype, tuple(_DTYPES))]
        initial = self.task_spec.default_task() if task is None else self.task_spec.validate(task)

        super().__init__(render_mode=render_mode)
        EzPickle.__init__(
            self,
            render_mode=render_mode,
            walker=walker,
            task=task,
            max_episode_steps=max_episode_steps,
            lidar=lidar,
            foot_contact=foot_contact,
            observation_dtype=observation_dtype,
        )
        self.walker = body
        self.task_names = self.task_spec.names
        self.task_space = spaces.Box(
            low=np.array(self.task_spec.low), high=np.array(self.task_spec.high), dtype=np.float64
        )
        self.mastery_threshold = self.task_spec.mastery_threshold
        self.max_episode_steps = max_episode_steps
        self.observation_names = body.observation_names()
        self.action_space = spaces.Box(-1.0, 1.0, shape=(body.action_dim,), dtype=np.float32)
        low, high = body.observation_bounds()
        self.observation_space = spaces.Box(low.astype(dtype), high.astype(dtype), dtype=dtype)

        self._dtype = dtype
        self._nearest_lidar = lidar == "nearest"
        self._all_feet = foot_contact == "all"
        self._task = initial
        self._pending_task: dict[str, float] | None = None
        self._track: Track | None = None
        self._push = 0.0
        self._contacts = GroundContacts(body.n_legs, self._all_feet)
        self._joint_speeds = (_SPEED_HIP, _SPEED_KNEE) * body.n_legs
        self._torque = body.motor_torque
        self._cost = body.torque_cost
        self._steps = 0
        self.legs: list[Any] = []
        self.joints: list[Any] = []
        self.lidar: list[LidarRay] = []
        self.terrain_poly: list[Any] = []
        self.cloud_poly: list[Any] = []
        self.drawlist: list[Any] = []
        self.scroll = 0.0
        self.lidar_render = 0
        self.game_over = False

    # ----------------------------------------------------------------- tasks

    @property
    def task(self) -> dict[str, float]:
        """The task in effect (set at the last reset), as a fresh dict name -> value."""
        return dict(self._task)

    @property
    def track(self) -> Track | None:
        """The geometry of the current episode (None before the first reset)."""
        return self._track

    @property
    def push(self) -> float:
        """The initial push of the current episode, newtons."""
        return self._push

    def set_task(self, task: TaskLike) -> None:
        """Validate ``task`` now and apply it at the next reset.

        Args:
            task: mapping name -> value, or a sequence / array of shape (d,) in canonical
                order, each value in its range.

        Raises:
            InvalidEnvTaskError: the task is rejected; the pending and current tasks are kept.
        """
        self._pending_task = self.task_spec.validate(task)

    def _new_world(self, track: Track) -> tuple[Any, GroundContacts, list[Any], list[Any]]:
        """(world, contact listener, terrain bodies, render fill) holding ``track``."""
        world = Box2D.b2World()
        contacts = GroundContacts(self.walker.n_legs, self._all_feet)
        world.contactListener = contacts
        obstacles, edges, fill = build_track(world, track)
        return world, contacts, obstacles + edges, fill

    def _generate_track(self, task: dict[str, float]) -> Track:
        """The track of ``task``, drawing from ``self.np_random`` only. Hook for subclasses."""
        raise NotImplementedError

    # ------------------------------------------------------------ gym API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode, on ``options["task"]`` if given, else the pending/last task.

        Returns:
            (observation of shape (observation_dim,), {"task": name -> value}).

        Raises:
            InvalidEnvTaskError: ``options["task"]`` is invalid (nothing is changed).
            ValueError: ``options["track"]`` or ``options["push"]`` is invalid, or an
                unknown option is given (nothing is changed).
        """
        options = options or {}
        unknown = sorted(set(options) - {"task", "track", "push"})
        if unknown:
            raise ValueError(
                f"unknown reset option {unknown[0]!r}; expected 'task', 'track' or 'push'"
            )
        requested = None
        if options.get("task") is not None:
            requested = self.task_spec.validate(options["task"])
        track = None if options.get("track") is None else _check_track(options["track"])
        push = None if options.get("push") is None else _check_push(options["push"])
        # A fresh world every episode: identical history whatever came before. A given
        # track is built first, so that one Box2D rejects changes nothing.
        given = None if track is None else self._new_world(track)
        gym.Env.reset(self, seed=seed)
        if requested is not None:
            self._task, self._pending_task = requested, None
        elif self._pending_task is not None:
            self._task, self._pending_task = self._pending_task, None
        if track is None or given is None:
            track = self._generate_track(dict(self._task))
            given = self._new_world(track)
        if push is None:
            push = float(self.np_random.uniform(-INITIAL_PUSH, INITIAL_PUSH))
        self._track, self._push = track, push

        self._destroy()
        self.world, self._contacts, self.terrain, self.terrain_poly = given
        self._generate_clouds()

        bodies = build_walker(self.world, self.walker, _START_X, GROUND_Y, push)
        self.hull, self.legs, self.joints = bodies.hull, bodies.legs, bodies.joints

        self.drawlist = self.terrain + self.legs + [self.hull]
        self.lidar = [LidarRay(self._nearest_lidar) for _ in range(LIDAR_RAYS)]
        self.prev_shaping = None
        self.scroll = 0.0
        self.lidar_render = 0
        self.game_over = False
        state, _, _ = self._advance([0.0] * self.walker.action_dim)
        self._steps = 0
        if self.render_mode == "human":
            self.render()
        return np.array(state, dtype=self._dtype), {"task": dict(self._task)}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply motor commands for one 1/50 s step.

        Args:
            action: shape (action_dim,), each entry in [-1, 1] (clipped): sign sets the
                motor direction at full speed, magnitude the fraction of max torque.

        Returns:
            (observation, reward, terminated, truncated, {"task": name -> value}).
        """
        if self.hull is None:
            raise ResetNeeded("call reset() before step()")
        values = np.asarray(action, dtype=np.float64).ravel().tolist()
        if len(values) != self.walker.action_dim:
            raise ValueError(
                f"action must have shape ({self.walker.action_dim},), got {np.shape(action)}"
            )
        if any(v != v for v in values):  # NaN: would poison the Box2D world
            raise ValueError(f"action must not contain NaN, got {values}")
        state, reward, terminated = self._advance(values)
        self._steps += 1
        truncated = (
            not terminated
            and self.max_episode_steps is not None
            and self._steps >= self.max_episode_steps
        )
        if self.render_mode == "human":
            self.render()
        obs = np.array(state, dtype=self._dtype)
        return obs, reward, terminated, truncated, {"task": dict(self._task)}

    def _advance(self, values: list[float]) -> tuple[list[float], float, bool]:
        """Set the motors from ``values`` (length action_dim), step the world, observe.

        Every expression below keeps the reference's operation order: the results are
        bit-identical to it (float64 state, float64 reward).
        """
        torque = self._torque
        magnitudes = []
        for joint, v, speed in zip(self.joints, values, self._joint_speeds, strict=True):
            magnitude = -v if v < 0.0 else v
            if magnitude > 1.0:
                magnitude = 1.0
            joint.motorSpeed = float(speed) if v > 0.0 else (-float(speed) if v < 0.0 else 0.0)
            joint.maxMotorTorque = torque * magnitude
            magnitudes.append(magnitude)

        world = self.world
        world.Step(1.0 / FPS, 6 * 30, 2 * 30)

        hull: Any = self.hull
        pos = hull.position
        x, y = pos.x, pos.y
        for ray, dx, dy in zip(self.lidar, _RAY_DX, _RAY_DY, strict=True):
            ray.fraction = 1.0
            ray.p1 = pos
            ray.p2 = (x + dx, y - dy)
            world.RayCast(ray, ray.p1, ray.p2)
        vel = hull.linearVelocity
        state = [
            hull.angle,
            2.0 * hull.angularVelocity / FPS,
            0.3 * vel.x * _VIEW_W / FPS,
            0.3 * vel.y * _VIEW_H / FPS,
        ]
        feet = self._contacts.feet
        joints = self.joints
        for leg, touching in enumerate(feet):
            hip, knee = joints[2 * leg], joints[2 * leg + 1]
            state += (
                hip.angle,
                hip.speed / _SPEED_HIP,
                knee.angle + 1.0,
                knee.speed / _SPEED_KNEE,
                1.0 if touching > 0 else 0.0,
            )
        state += [ray.fraction for ray in self.lidar]

        self.scroll = x - _VIEW_W / 5
        # Progress reward (about 300 for the whole track) minus a penalty for tilting.
        shaping = 130 * x / SCALE
        shaping -= 5.0 * abs(state[0])
        reward: float = 0 if self.prev_shaping is None else shaping - self.prev_shaping
        self.prev_shaping = shaping
        cost = self._cost
        for magnitude in magnitudes:
            reward -= cost * magnitude

        terminated = False
        if self._contacts.hull_touched or x < 0:
            self.game_over = True
            reward = _FALL_REWARD
            terminated = True
        if x > FINISH_X:
            terminated = True
        return state, float(reward), terminated

    def render(self) -> np.ndarray | None:
        """Draw the scene: an RGB frame (400, 600, 3) uint8 in ``"rgb_array"`` mode."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; pass render_mode='rgb_array' or "
                "'human' when creating the environment"
            )
            return None
        if self.hull is None:
            raise ResetNeeded("call reset() before render()")
        frame: np.ndarray | None = super().render()
        return frame
