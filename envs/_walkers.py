"""Walker embodiments: geometry, motors and the observation/action layout they imply.

Pure data (no Box2D import); :mod:`envs._bodies` turns a :class:`WalkerSpec` into Box2D
bodies. The three bodies are the reference environment's (teachDeepRL's parameterised
BipedalWalker, ``leg_size`` ``default``, ``short`` and ``quadru``). Sizes are given in
pixels as there and divided by ``SCALE`` (30 pixels per metre) where Box2D needs metres,
in the same floating-point operations, so the bodies are bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from envs.errors import UnknownWalkerError

__all__ = ["LIDAR_RAYS", "SCALE", "WALKERS", "WalkerSpec", "walker_spec"]

#: Pixels per metre of the reference environment (and of gymnasium's BipedalWalker).
SCALE = 30.0

#: Lidar rays at the end of every observation.
LIDAR_RAYS = 10

#: Reward cost per unit of |action| per joint per step, before multiplying by the torque.
TORQUE_PENALTY = 0.00035

_BIPED_HULL = ((-30, 9), (6, 9), (34, 1), (34, -8), (-30, -8))
_QUADRUPED_HULL = ((-46, 13), (6, 13), (50, 5), (50, -12), (-46, -12))


@dataclass(frozen=True)
class WalkerSpec:
    """One walker body.

    Attributes:
        name: ``"default"``, ``"short"`` or ``"quadruped"``.
        reference_name: the reference environment's ``leg_size`` (``"quadru"`` for
            the quadruped).
        hull_px: hull polygon (x, y) in pixels in the hull frame (convex, 5 vertices).
        hull_width_px: hull width in pixels; maps leg-pair anchors to body positions.
        leg_pairs_x: per leg pair, the hip anchor x in the hull frame, metres. Each
            pair's legs are *placed* at ``np.interp(x, [-1, 1], [-w/2, w/2])`` (w the hull
            width in metres) but hinged at ``x``: the quadruped's differ, as in the reference.
        leg_width_px, leg_length_px: thigh width and each segment's length, pixels (the
            shin is 0.8 as wide).
        motor_torque: maximum motor torque, N m, reached at |action| = 1.
        torque_penalty: reward cost per N m of maximal torque per unit |action| per joint.
    """

    name: str
    reference_name: str
    hull_px: tuple[tuple[int, int], ...]
    hull_width_px: float
    leg_pairs_x: tuple[float, ...]
    leg_width_px: float
    leg_length_px: float
    motor_torque: float
    torque_penalty: float = TORQUE_PENALTY

    @property
    def hull(self) -> tuple[tuple[float, float], ...]:
        """Hull polygon vertices (x, y), metres, hull frame."""
        return tuple((x / SCALE, y / SCALE) for x, y in self.hull_px)

    @property
    def hip_y(self) -> float:
        """y of every hip in the hull frame, metres (the reference's ``LEG_DOWN``)."""
        return -8 / SCALE

    @property
    def leg_length(self) -> float:
        """Length of each leg segment (thigh and shin), metres."""
        return self.leg_length_px / SCALE

    @property
    def leg_width(self) -> float:
        """Thigh width, metres (the shin is 0.8 of it)."""
        return self.leg_width_px / SCALE

    @property
    def n_legs(self) -> int:
        """Number of leg chains (two per pair)."""
        return 2 * len(self.leg_pairs_x)

    @property
    def action_dim(self) -> int:
        """Action size: (hip, knee) motor commands per leg, each in [-1, 1]."""
        return 2 * self.n_legs

    @property
    def observation_dim(self) -> int:
        """Observation size: 4 hull values, 5 per leg, then the lidar rays."""
        return 4 + 5 * self.n_legs + LIDAR_RAYS

    @property
    def torque_cost(self) -> float:
        """Reward cost per joint per step at |action| = 1."""
        return self.torque_penalty * self.motor_torque

    def observation_names(self) -> tuple[str, ...]:
        """Names of the observation entries, in order (length ``observation_dim``)."""
        names = ["hull_angle", "hull_angular_velocity", "velocity_x", "velocity_y"]
        for leg in range(self.n_legs):
            names += [
                f"hip{leg}_angle",
                f"hip{leg}_speed",
                f"knee{leg}_angle",
                f"knee{leg}_speed",
                f"foot{leg}_contact",
            ]
        names += [f"lidar{i}" for i in range(LIDAR_RAYS)]
        return tuple(names)

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-entry (low, high) of the observation, shape (observation_dim,) each."""
        hull = [(-math.pi, math.pi), (-5.0, 5.0), (-5.0, 5.0), (-5.0, 5.0)]
        leg = [(-math.pi, math.pi), (-5.0, 5.0), (-math.pi, math.pi), (-5.0, 5.0), (0.0, 1.0)]
        bounds = hull + leg * self.n_legs + [(0.0, 1.0)] * LIDAR_RAYS
        low, high = zip(*bounds, strict=True)
        return np.array(low), np.array(high)

    def action_names(self) -> tuple[str, ...]:
        """Names of the action entries, in order (length ``action_dim``)."""
        return tuple(f"{joint}{leg}" for leg in range(self.n_legs) for joint in ("hip", "knee"))


_SPECS: Mapping[str, WalkerSpec] = MappingProxyType(
    {
        "default": WalkerSpec(
            name="default",
            reference_name="default",
            hull_px=_BIPED_HULL,
            hull_width_px=64.0,
            leg_pairs_x=(0.0,),
            leg_width_px=8,
            leg_length_px=34,
            motor_torque=80.0,
        ),
        "short": WalkerSpec(
            name="short",
            reference_name="short",
            hull_px=_BIPED_HULL,
            hull_width_px=64.0,
            leg_pairs_x=(0.0,),
            leg_width_px=8,
            leg_length_px=17,
            motor_torque=80.0,
        ),
        "quadruped": WalkerSpec(
            name="quadruped",
            reference_name="quadru",
            hull_px=_QUADRUPED_HULL,
            hull_width_px=96.0,
            leg_pairs_x=(-1.2, 0.85),
            leg_width_px=10,
            leg_length_px=51,
            motor_torque=300.0,
            torque_penalty=TORQUE_PENALTY / 8,
        ),
    }
)

#: Walker names accepted by every environment's ``walker`` argument.
WALKERS: tuple[str, ...] = tuple(_SPECS)


def walker_spec(name: str) -> WalkerSpec:
    """The :class:`WalkerSpec` called ``name``.

    Raises:
        UnknownWalkerError: ``name`` is not one of :data:`WALKERS`.
    """
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(w) for w in WALKERS)
        raise UnknownWalkerError(f"walker must be one of {choices}, got {name!r}") from None
