"""Box2D bodies of a walker, and the callbacks that sense the ground.

:func:`build_walker` creates a :class:`~envs._walkers.WalkerSpec` the way the reference
environment does (same bodies, same creation order, same start pose: every upper leg
starts ``leg_length`` above its hip anchor, so the first physics step snaps the joints
together). :class:`GroundContacts` senses feet and the hull; :class:`LidarRay` is one
lidar ray's ray-cast callback. Both have the reference behaviour by default and a
corrected one on request (see :class:`ParametricWalkerEnv`'s ``foot_contact`` and
``lidar`` arguments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from Box2D.b2 import contactListener, fixtureDef, polygonShape, rayCastCallback, revoluteJointDef

from envs._walkers import WalkerSpec

__all__ = [
    "GROUND_CATEGORY",
    "HULL_TAG",
    "GroundContacts",
    "LidarRay",
    "WalkerBodies",
    "build_walker",
]

#: Collision category of terrain fixtures; walker parts collide with this category only.
GROUND_CATEGORY = 0x0001
_WALKER_CATEGORY = 0x0020

#: ``userData`` of the hull body; each shin's ``userData`` is its leg index (an int).
HULL_TAG = "hull"

_HIP_LIMITS = (-0.8, 1.1)  # radians, thigh relative to hull (minus the reference angle)
_KNEE_LIMITS = (-1.6, -0.1)  # radians, shin relative to thigh
_SPLAY = 0.05  # initial angle of every leg segment, radians, sign alternating within a pair

_HULL_COLORS = ((127, 51, 229), (76, 76, 127))
# (fill, outline) per side within a pair; the far leg (drawn first) is lighter.
_LEG_COLORS = (
    ((178, 101, 152), (127, 76, 101)),
    ((128, 51, 102), (77, 26, 51)),
)
_FRONT_LEG_COLORS = (
    ((101, 152, 178), (76, 101, 127)),
    ((51, 102, 128), (26, 51, 77)),
)


@dataclass
class WalkerBodies:
    """The Box2D objects of one walker.

    Attributes:
        hull: the hull body (``userData == HULL_TAG``).
        legs: [thigh0, shin0, thigh1, shin1, ...], two bodies per leg chain.
        joints: [hip0, knee0, hip1, knee1, ...], motorised revolute joints, same order as
            the action vector.
    """

    hull: Any
    legs: list[Any]
    joints: list[Any]


def _walker_fixture(shape: Any, density: float, **extra: float) -> Any:
    return fixtureDef(
        shape=shape,
        density=density,
        restitution=0.0,
        categoryBits=_WALKER_CATEGORY,
        maskBits=GROUND_CATEGORY,
        **extra,
    )


def build_walker(
    world: Any, spec: WalkerSpec, x: float, ground_y: float, push: float
) -> WalkerBodies:
    """Create the walker's bodies and joints in ``world``; push the hull.

    Args:
        world: a ``Box2D.b2World`` that already holds the terrain.
        spec: the walker to build.
        x: hull x position, metres.
        ground_y: height of the ground under the walker, metres. The hull starts two leg
            lengths above it.
        push: horizontal force on the hull centre, newtons, applied before any step (it
            acts during the first 1/50 s only).
    """
    length, width = spec.leg_length, spec.leg_width
    hull_y = ground_y + 2 * length
    hull = world.CreateDynamicBody(
        position=(x, hull_y),
        fixtures=_walker_fixture(polygonShape(vertices=list(spec.hull)), 5.0, friction=0.1),
    )
    hull.userData = HULL_TAG
    hull.color1, hull.color2 = _HULL_COLORS
    hull.ApplyForceToCenter((push, 0), True)

    thigh_fd = _walker_fixture(polygonShape(box=(width / 2, length / 2)), 1.0)
    shin_fd = _walker_fixture(polygonShape(box=(0.8 * width / 2, length / 2)), 1.0)
    half_hull = spec.hull_width_px / 2 / 30.0
    hip_y = spec.hip_y

    legs: list[Any] = []
    joints: list[Any] = []
    for pair, anchor_x in enumerate(spec.leg_pairs_x):
        palette = _FRONT_LEG_COLORS if pair > 0 else _LEG_COLORS
        body_x = x + float(np.interp(anchor_x, [-1, 1], [-half_hull, half_hull]))
        for k, side in enumerate((-1, +1)):
            thigh = world.CreateDynamicBody(
                position=(body_x, hull_y - length / 2 - hip_y),
                angle=side * _SPLAY,
                fixtures=thigh_fd,
            )
            # Body and joint definitions as the reference gives them: pybox2d derives the
            # reference angle (bodyB minus bodyA: the hips' are -0.05 / +0.05) itself.
            joints.append(
                world.CreateJoint(
                    revoluteJointDef(
                        bodyA=hull,
                        bodyB=thigh,
                        localAnchorA=(anchor_x, hip_y),
                        localAnchorB=(0, length / 2),
                        enableMotor=True,
                        enableLimit=True,
                        maxMotorTorque=spec.motor_torque,
                        motorSpeed=side,
                        lowerAngle=_HIP_LIMITS[0],
                        upperAngle=_HIP_LIMITS[1],
                    )
                )
            )
            shin = world.CreateDynamicBody(
                position=(body_x, hull_y - length * 3 / 2 - hip_y),
                angle=side * _SPLAY,
                fixtures=shin_fd,
            )
            joints.append(
                world.CreateJoint(
                    revoluteJointDef(
                        bodyA=thigh,
                        bodyB=shin,
                        localAnchorA=(0, -length / 2),
                        localAnchorB=(0, length / 2),
                        enableMotor=True,
                        enableLimit=True,
                        maxMotorTorque=spec.motor_torque,
                        motorSpeed=1,
                        lowerAngle=_KNEE_LIMITS[0],
                        upperAngle=_KNEE_LIMITS[1],
                    )
                )
            )
            thigh.color1, thigh.color2 = palette[k]
            shin.color1, shin.color2 = palette[k]
            shin.userData = len(legs) // 2  # leg index, read by GroundContacts
            legs += [thigh, shin]
    return WalkerBodies(hull=hull, legs=legs, joints=joints)


class GroundContacts(contactListener):  # type: ignore[misc]
    """Contact listener: foot contact flags, and whether the hull touched the ground.

    Args:
        n_legs: number of leg chains of the walker.
        all_feet: False (the reference): only the first leg pair's feet sense, and a
            foot's flag is set when any contact begins and cleared when any ends (so it can
            read 0 while the foot still touches another fixture). True: every foot senses,
            and reads 1 while it touches at least one terrain fixture.

    Attributes:
        hull_touched: True once the hull has touched the ground this episode.
        feet: per leg index, the contact reading (0 or 1 in the reference mode, a count
            of touching fixtures otherwise).
    """

    def __init__(self, n_legs: int, all_feet: bool = False) -> None:
        contactListener.__init__(self)
        self.hull_touched = False
        self.feet = [0] * n_legs
        self._all_feet = all_feet
        self._sensing = n_legs if all_feet else min(n_legs, 2)

    def BeginContact(self, contact: Any) -> None:  # noqa: N802 (Box2D's callback name)
        self._update(contact, True)

    def EndContact(self, contact: Any) -> None:  # noqa: N802
        self._update(contact, False)

    def _update(self, contact: Any, begins: bool) -> None:
        # Walker parts only collide with terrain, so any contact of theirs is a ground one.
        for body in (contact.fixtureA.body, contact.fixtureB.body):
            tag = body.userData
            if type(tag) is int:
                if tag >= self._sensing:
                    continue
                if self._all_feet:
                    self.feet[tag] += 1 if begins else -1
                else:
                    self.feet[tag] = 1 if begins else 0
            elif tag == HULL_TAG and begins:
                self.hull_touched = True


class LidarRay(rayCastCallback):  # type: ignore[misc]
    """Ray-cast callback of one lidar ray.

    Args:
        nearest: False (the reference): the first terrain fixture Box2D reports ends the
            cast, whatever its distance. True: the nearest terrain hit is kept.

    Attributes:
        p1, p2: ray start and end (end moved to the hit point), metres; drawn by render().
        fraction: hit distance as a fraction of the ray length, 1.0 when nothing is hit.
    """

    def __init__(self, nearest: bool = False) -> None:
        rayCastCallback.__init__(self)
        self.p1: Any = (0.0, 0.0)
        self.p2: Any = (0.0, 0.0)
        self.fraction = 1.0
        self._nearest = nearest

    def ReportFixture(self, fixture: Any, point: Any, normal: Any, fraction: float) -> float:  # noqa: N802
        if (fixture.filterData.categoryBits & GROUND_CATEGORY) == 0:
            return -1.0  # not terrain: ignore it and go on
        self.p2 = point
        self.fraction = fraction
        return fraction if self._nearest else 0.0  # clip the ray, or end the cast
