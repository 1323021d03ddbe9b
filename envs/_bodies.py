"""Box2D bodies of a walker, and the callbacks that sense the ground.

Builds the hull and leg chains of a :class:`~envs._walkers.WalkerSpec` into a world;
:class:`GroundContacts` counts foot contacts (several fixtures can touch one foot at a
time, so a count, not a flag) and notices the hull touching the ground; :class:`LidarRay`
is one lidar ray's ray-cast callback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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

_HIP_LIMITS = (-0.8, 1.1)  # radians, thigh relative to hull
_KNEE_LIMITS = (-1.6, -0.1)  # radians, shin relative to thigh
_SPLAY = 0.05  # initial thigh angle, radians, alternating sign within a pair
_START_CLEARANCE = 0.05  # metres between the lowest foot and the ground at reset

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


def _offset(angle: float, length: float) -> tuple[float, float]:
    """Vector from a segment's top to its bottom, for a segment rotated by ``angle``."""
    return length * math.sin(angle), -length * math.cos(angle)


def build_walker(world: Any, spec: WalkerSpec, x: float, ground_y: float) -> WalkerBodies:
    """Create the walker's bodies and joints in ``world``, feet just above ``ground_y``.

    Args:
        world: a ``Box2D.b2World``.
        spec: the walker to build.
        x: hull x position, metres.
        ground_y: height of the flat ground under the walker, metres.
    """
    length, width = spec.leg_length, spec.leg_width
    knee_angle = _KNEE_LIMITS[1]  # start at the straightest knee the limits allow
    drop = max(
        length * (math.cos(side * _SPLAY) + math.cos(side * _SPLAY + knee_angle))
        for side in (-1, 1)
    )
    hull_y = ground_y - spec.hip_y + drop + width / 2 + _START_CLEARANCE

    hull = world.CreateDynamicBody(
        position=(x, hull_y),
        fixtures=fixtureDef(
            shape=polygonShape(vertices=list(spec.hull)),
            density=5.0,
            friction=0.1,
            restitution=0.0,
            categoryBits=_WALKER_CATEGORY,
            maskBits=GROUND_CATEGORY,
        ),
    )
    hull.userData = HULL_TAG
    hull.color1, hull.color2 = _HULL_COLORS

    thigh_fd = fixtureDef(
        shape=polygonShape(box=(width / 2, length / 2)),
        density=1.0,
        restitution=0.0,
        categoryBits=_WALKER_CATEGORY,
        maskBits=GROUND_CATEGORY,
    )
    shin_fd = fixtureDef(
        shape=polygonShape(box=(0.8 * width / 2, length / 2)),
        density=1.0,
        restitution=0.0,
        categoryBits=_WALKER_CATEGORY,
        maskBits=GROUND_CATEGORY,
    )

    legs: list[Any] = []
    joints: list[Any] = []
    for pair, hip_x in enumerate(spec.hip_x):
        palette = _FRONT_LEG_COLORS if pair > 0 else _LEG_COLORS
        for k, side in enumerate((-1, 1)):
            hip = (x + hip_x, hull_y + spec.hip_y)
            thigh_angle = side * _SPLAY
            shin_angle = thigh_angle + knee_angle
            dx, dy = _offset(thigh_angle, length)
            knee = (hip[0] + dx, hip[1] + dy)
            sx, sy = _offset(shin_angle, length)

            thigh = world.CreateDynamicBody(
                position=(hip[0] + dx / 2, hip[1] + dy / 2), angle=thigh_angle, fixtures=thigh_fd
            )
            shin = world.CreateDynamicBody(
                position=(knee[0] + sx / 2, knee[1] + sy / 2), angle=shin_angle, fixtures=shin_fd
            )
            thigh.color1, thigh.color2 = palette[k]
            shin.color1, shin.color2 = palette[k]
            shin.userData = len(legs) // 2  # leg index, read by GroundContacts

            joints.append(
                world.CreateJoint(
                    revoluteJointDef(
                        bodyA=hull,
                        bodyB=thigh,
                        localAnchorA=(hip_x, spec.hip_y),
                        localAnchorB=(0.0, length / 2),
                        enableMotor=True,
                        enableLimit=True,
                        maxMotorTorque=spec.motor_torque,
                        motorSpeed=0.0,
                        lowerAngle=_HIP_LIMITS[0],
                        upperAngle=_HIP_LIMITS[1],
                        referenceAngle=0.0,
                    )
                )
            )
            joints.append(
                world.CreateJoint(
                    revoluteJointDef(
                        bodyA=thigh,
                        bodyB=shin,
                        localAnchorA=(0.0, -length / 2),
                        localAnchorB=(0.0, length / 2),
                        enableMotor=True,
                        enableLimit=True,
                        maxMotorTorque=spec.motor_torque,
                        motorSpeed=0.0,
                        lowerAngle=_KNEE_LIMITS[0],
                        upperAngle=_KNEE_LIMITS[1],
                        referenceAngle=0.0,
                    )
                )
            )
            legs += [thigh, shin]
    return WalkerBodies(hull=hull, legs=legs, joints=joints)


class GroundContacts(contactListener):  # type: ignore[misc]
    """Contact listener: counts ground contacts per foot, flags a hull contact.

    Attributes:
        hull_touched: True once the hull has touched the ground this episode.
        feet: per leg index, the number of terrain fixtures its shin touches now.
    """

    def __init__(self, n_legs: int) -> None:
        contactListener.__init__(self)
        self.hull_touched = False
        self.feet = [0] * n_legs

    def BeginContact(self, contact: Any) -> None:  # noqa: N802 (Box2D's callback name)
        self._count(contact, 1)

    def EndContact(self, contact: Any) -> None:  # noqa: N802
        self._count(contact, -1)

    def _count(self, contact: Any, delta: int) -> None:
        # Walker parts only collide with terrain, so any contact of theirs is a ground one.
        for body in (contact.fixtureA.body, contact.fixtureB.body):
            tag = body.userData
            if type(tag) is int:
                self.feet[tag] += delta
            elif tag == HULL_TAG and delta > 0:
                self.hull_touched = True


class LidarRay(rayCastCallback):  # type: ignore[misc]
    """Ray-cast callback keeping the closest terrain hit.

    Attributes:
        p1, p2: ray start and end (end moved to the hit point), metres; drawn by render().
        fraction: hit distance as a fraction of the ray length, 1.0 when nothing is hit.
    """

    def __init__(self) -> None:
        rayCastCallback.__init__(self)
        self.p1: Any = (0.0, 0.0)
        self.p2: Any = (0.0, 0.0)
        self.fraction = 1.0

    def ReportFixture(self, fixture: Any, point: Any, normal: Any, fraction: float) -> float:  # noqa: N802
        if (fixture.filterData.categoryBits & GROUND_CATEGORY) == 0:
            return -1.0  # not terrain: ignore and continue
        self.p2 = point
        self.fraction = fraction
        return fraction  # clip the ray: later reports can only be closer
