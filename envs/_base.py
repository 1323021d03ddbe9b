"""Shared base of the parameterised walker environments.

:class:`ParametricWalkerEnv` subclasses gymnasium's BipedalWalker for its rendering,
constants and spaces conventions, and replaces what a task and a choice of body change:
the terrain (a hook, :meth:`ParametricWalkerEnv._build_obstacles`), the walker's bodies,
reset and step. Task validation lives in :class:`envs._tasks.TaskSpec`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import Box2D
import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.box2d.bipedal_walker import (
    FPS,
    INITIAL_RANDOM,
    LIDAR_RANGE,
    SCALE,
    SPEED_HIP,
    SPEED_KNEE,
    TERRAIN_STARTPAD,
    VIEWPORT_H,
    VIEWPORT_W,
    BipedalWalker,
)
from gymnasium.error import ResetNeeded
from gymnasium.utils import EzPickle

from envs._bodies import GroundContacts, LidarRay, build_walker
from envs._tasks import TaskLike, TaskSpec
from envs._terrain import FINISH_X, GROUND_Y, STEP, build_ground
from envs._walkers import LIDAR_RAYS, WalkerSpec, walker_spec

__all__ = ["ParametricWalkerEnv"]

_START_X = STEP * TERRAIN_STARTPAD / 2  # hull x at reset, metres
_VEL_X = 0.3 * (VIEWPORT_W / SCALE) / FPS  # observation scale of the hull's x velocity
_VEL_Y = 0.3 * (VIEWPORT_H / SCALE) / FPS
_RAY_ANGLES = [1.5 * i / LIDAR_RAYS for i in range(LIDAR_RAYS)]  # radians from straight down
_RAY_DX = tuple(math.sin(a) * LIDAR_RANGE for a in _RAY_ANGLES)
_RAY_DY = tuple(-math.cos(a) * LIDAR_RANGE for a in _RAY_ANGLES)
_FALL_REWARD = -100.0


def _observation_bounds(spec: WalkerSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per-entry (low, high) of the observation, shape (observation_dim,) each."""
    hull = [(-math.pi, math.pi), (-5.0, 5.0), (-5.0, 5.0), (-5.0, 5.0)]
    leg = [(-math.pi, math.pi), (-5.0, 5.0), (-math.pi, math.pi), (-5.0, 5.0), (0.0, 1.0)]
    bounds = hull + leg * spec.n_legs + [(0.0, 1.0)] * LIDAR_RAYS
    low, high = zip(*bounds, strict=True)
    return np.array(low, dtype=np.float32), np.array(high, dtype=np.float32)


class ParametricWalkerEnv(BipedalWalker):
    """A walker on a flat track whose obstacles a task parameterises.

    Subclasses set :attr:`task_spec` and implement :meth:`_build_obstacles`.

    Args:
        render_mode: None, ``"rgb_array"`` (frames (400, 600, 3) uint8) or ``"human"``.
        walker: body name, one of :data:`envs.WALKERS`.
        task: initial task (mapping name -> value, or values in canonical order);
            ``task_spec.default`` when None. Applied at the first reset.
        max_episode_steps: truncate episodes after this many steps; None leaves the cap to
            the ``TimeLimit`` wrapper that ``gymnasium.make`` adds (2000 steps).

    Attributes:
        task_names: parameter names in canonical order.
        task_space: ``gymnasium.spaces.Box`` (float64) of the tasks, same order.
        walker: the :class:`~envs._walkers.WalkerSpec` in use.
        observation_names: name of each observation entry.
        mastery_threshold: an episode return above this masters the task.

    Raises:
        UnknownWalkerError, InvalidTaskError, ValueError: on bad arguments.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": FPS}
    task_spec: ClassVar[TaskSpec]

    def __init__(
        self,
        render_mode: str | None = None,
        walker: str = "default",
        task: TaskLike | None = None,
        max_episode_steps: int | None = None,
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
        initial = self.task_spec.default_task() if task is None else self.task_spec.validate(task)

        super().__init__(render_mode=render_mode)
        EzPickle.__init__(
            self,
            render_mode=render_mode,
            walker=walker,
            task=task,
            max_episode_steps=max_episode_steps,
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
        low, high = _observation_bounds(body)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)

        self._task = initial
        self._pending_task: dict[str, float] | None = None
        self._contacts = GroundContacts(body.n_legs)
        self._joint_speeds = (float(SPEED_HIP), float(SPEED_KNEE)) * body.n_legs
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

    def set_task(self, task: TaskLike) -> None:
        """Validate ``task`` now and apply it at the next reset.

        Args:
            task: mapping name -> value, or a sequence / array of shape (d,) in canonical
                order, each value in its range.

        Raises:
            InvalidTaskError: the task is rejected; the pending and current tasks are kept.
        """
        self._pending_task = self.task_spec.validate(task)

    def _build_obstacles(self, task: dict[str, float]) -> list[Any]:
        """Create this task's obstacle bodies in ``self.world``; return them.

        Randomness must come from ``self.np_random`` only. Hook for subclasses.
        """
        raise NotImplementedError

    # ------------------------------------------------------------ gym API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode, on ``options["task"]`` if given, else the pending/last task.

        Returns:
            (observation of shape (observation_dim,) float32, {"task": name -> value}).

        Raises:
            InvalidTaskError: ``options["task"]`` is invalid (nothing is changed).
        """
        requested = None
        if options is not None and options.get("task") is not None:
            requested = self.task_spec.validate(options["task"])
        gym.Env.reset(self, seed=seed)
        if requested is not None:
            self._task, self._pending_task = requested, None
        elif self._pending_task is not None:
            self._task, self._pending_task = self._pending_task, None

        self._destroy()
        self.world = Box2D.b2World()  # a fresh world: identical history for every episode
        self._contacts = GroundContacts(self.walker.n_legs)
        self.world.contactListener = self._contacts
        ground, self.terrain_poly = build_ground(self.world)
        self.terrain = [ground, *self._build_obstacles(dict(self._task))]
        self._generate_clouds()

        bodies = build_walker(self.world, self.walker, _START_X, GROUND_Y)
        self.hull, self.legs, self.joints = bodies.hull, bodies.legs, bodies.joints
        push = float(self.np_random.uniform(-INITIAL_RANDOM, INITIAL_RANDOM))
        self.hull.ApplyForceToCenter((push, 0.0), True)

        self.drawlist = self.terrain + self.legs + [self.hull]
        self.lidar = [LidarRay() for _ in range(LIDAR_RAYS)]
        self.prev_shaping = None
        self.scroll = 0.0
        self.lidar_render = 0
        self.game_over = False
        obs, _, _ = self._advance([0.0] * self.walker.action_dim)
        self._steps = 0
        if self.render_mode == "human":
            self.render()
        return obs, {"task": dict(self._task)}

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
        obs, reward, terminated = self._advance(values)
        self._steps += 1
        truncated = (
            not terminated
            and self.max_episode_steps is not None
            and self._steps >= self.max_episode_steps
        )
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, {"task": dict(self._task)}

    def _advance(self, values: list[float]) -> tuple[np.ndarray, float, bool]:
        """Set the motors from ``values`` (length action_dim), step the world, observe."""
        torque = self.walker.motor_torque
        effort = 0.0
        for joint, v, speed in zip(self.joints, values, self._joint_speeds, strict=True):
            if v > 1.0:
                v = 1.0
            elif v < -1.0:
                v = -1.0
            joint.motorSpeed = speed if v > 0.0 else (-speed if v < 0.0 else 0.0)
            magnitude = -v if v < 0.0 else v
            joint.maxMotorTorque = torque * magnitude
            effort += magnitude

        world = self.world
        world.Step(1.0 / FPS, 6 * 30, 2 * 30)

        hull: Any = self.hull
        pos = hull.position
        x, y = pos.x, pos.y
        vel = hull.linearVelocity
        angle = hull.angle
        state = [angle, 2.0 * hull.angularVelocity / FPS, _VEL_X * vel.x, _VEL_Y * vel.y]
        feet = self._contacts.feet
        joints = self.joints
        for leg, touching in enumerate(feet):
            hip, knee = joints[2 * leg], joints[2 * leg + 1]
            state += (
                hip.angle,
                hip.speed / SPEED_HIP,
                knee.angle + 1.0,
                knee.speed / SPEED_KNEE,
                1.0 if touching > 0 else 0.0,
            )
        origin = (x, y)
        for ray, dx, dy in zip(self.lidar, _RAY_DX, _RAY_DY, strict=True):
            ray.fraction = 1.0
            ray.p1 = origin
            ray.p2 = (x + dx, y + dy)
            world.RayCast(ray, origin, ray.p2)
            state.append(ray.fraction)
        obs = np.array(state, dtype=np.float32)

        self.scroll = x - VIEWPORT_W / SCALE / 5
        # Progress reward: 130 per track-length unit, minus a penalty for tilting the hull.
        shaping = 130.0 * x / SCALE - 5.0 * abs(angle)
        reward = 0.0 if self.prev_shaping is None else shaping - self.prev_shaping
        self.prev_shaping = shaping
        reward -= self.walker.torque_cost * effort

        terminated = False
        if self._contacts.hull_touched or x < 0.0:
            self.game_over = True
            reward = _FALL_REWARD
            terminated = True
        elif x > FINISH_X:
            terminated = True
        return obs, float(reward), terminated

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
