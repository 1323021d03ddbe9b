"""Walker embodiments: geometry, motors and the observation/action layout they imply.

Pure data (no Box2D import); :mod:`envs._bodies` turns a :class:`WalkerSpec` into Box2D
bodies. Lengths are in metres (Box2D units; gymnasium's BipedalWalker draws 30 pixels per
metre, so ``34 / 30`` is its 34-pixel leg segment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from envs.errors import UnknownWalkerError

__all__ = ["LIDAR_RAYS", "WALKERS", "WalkerSpec", "walker_spec"]

_PX = 1.0 / 30.0  # metres per pixel of gymnasium's BipedalWalker (its SCALE)

#: Lidar rays at the end of every observation.
LIDAR_RAYS = 10

# Torque cost per joint per step is TORQUE_COST * motor_torque * |action|, as in the
# stock walker (0.00035 * 80 = 0.028 per unit action).
TORQUE_COST = 0.00035


@dataclass(frozen=True)
class WalkerSpec:
    """One walker body.

    Attributes:
        name: ``"default"``, ``"short"`` or ``"quadruped"``.
        hull: hull polygon vertices (x, y) in metres in the hull frame (at most 8, convex).
        hip_x: x of each hip, in metres in the hull frame; one *pair* of legs per hip.
        hip_y: y of the hips in the hull frame, metres.
        leg_length: length of each leg segment (thigh and shin), metres.
        leg_width: thigh width, metres (the shin is 0.8 of it).
        motor_torque: maximum motor torque, N m, reached at |action| = 1.
        torque_cost_scale: multiplies the stock torque cost (the quadruped's is 1/8).
    """

    name: str
    hull: tuple[tuple[float, float], ...]
    hip_x: tuple[float, ...]
    hip_y: float
    leg_length: float
    leg_width: float
    motor_torque: float
    torque_cost_scale: float = 1.0

    @property
    def n_legs(self) -> int:
        """Number of leg chains (two per hip)."""
        return 2 * len(self.hip_x)

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
        return TORQUE_COST * self.motor_torque * self.torque_cost_scale

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

    def action_names(self) -> tuple[str, ...]:
        """Names of the action entries, in order (length ``action_dim``)."""
        return tuple(f"{joint}{leg}" for leg in range(self.n_legs) for joint in ("hip", "knee"))


def _scaled(points: tuple[tuple[int, int], ...]) -> tuple[tuple[float, float], ...]:
    return tuple((x * _PX, y * _PX) for x, y in points)


_BIPED_HULL = _scaled(((-30, 9), (6, 9), (34, 1), (34, -8), (-30, -8)))
_QUADRUPED_HULL = _scaled(((-64, 9), (34, 9), (64, 1), (64, -8), (-64, -8)))

_SPECS: Mapping[str, WalkerSpec] = MappingProxyType(
    {
        "default": WalkerSpec(
            name="default",
            hull=_BIPED_HULL,
            hip_x=(0.0,),
            hip_y=-8 * _PX,
            leg_length=34 * _PX,
            leg_width=8 * _PX,
            motor_torque=80.0,
        ),
        "short": WalkerSpec(
            name="short",
            hull=_BIPED_HULL,
            hip_x=(0.0,),
            hip_y=-8 * _PX,
            leg_length=17 * _PX,
            leg_width=8 * _PX,
            motor_torque=80.0,
        ),
        "quadruped": WalkerSpec(
            name="quadruped",
            hull=_QUADRUPED_HULL,
            hip_x=(-48 * _PX, 48 * _PX),
            hip_y=-8 * _PX,
            leg_length=51 * _PX,
            leg_width=8 * _PX,
            motor_torque=300.0,
            torque_cost_scale=1.0 / 8.0,
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
