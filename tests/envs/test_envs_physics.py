"""The task and the walker shape the physical world: read back from Box2D itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from Box2D import b2RevoluteJoint

import envs
from envs._bodies import HULL_TAG
from envs._hexagon import DEFAULT_HEXAGON
from envs._stump import MIN_STUMP_HEIGHT, STUMP_HEIGHT_STD
from envs._terrain import GROUND_Y, STEP

Outlines = Callable[[Any], list[np.ndarray]]
Heights = Callable[[Any], np.ndarray]


def _stumps(seed: int, stump_height: float, obstacle_spacing: float) -> Any:
    env = gym.make("StumpTracks-v0")
    task = {"stump_height": stump_height, "obstacle_spacing": obstacle_spacing}
    env.reset(seed=seed, options={"task": task})
    return env


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_stump_height_leaves_only_minimal_bumps(seed: int, heights: Heights) -> None:
    h = heights(_stumps(seed, 0.0, 2.0))
    assert len(h) > 20
    # Heights are max(0.05, N(0, 0.1)): most sit exactly at the floor and none stands
    # more than 5 standard deviations above it.
    assert h.min() == pytest.approx(MIN_STUMP_HEIGHT, abs=1e-5)
    assert np.mean(np.isclose(h, MIN_STUMP_HEIGHT, atol=1e-5)) > 0.5
    assert h.max() < MIN_STUMP_HEIGHT + 5 * STUMP_HEIGHT_STD


def test_higher_stumps_and_smaller_spacing_give_more_and_taller_obstacles(
    heights: Heights,
) -> None:
    easy = heights(_stumps(0, 0.5, 5.0))
    taller = heights(_stumps(0, 2.5, 5.0))
    denser = heights(_stumps(0, 0.5, 1.0))
    hardest = heights(_stumps(0, 2.5, 1.0))
    assert len(taller) == len(easy) and taller.mean() > easy.mean() + 1.5
    assert len(denser) > 2 * len(easy)
    assert len(hardest) == len(denser) and hardest.mean() > denser.mean() + 1.5
    assert hardest.mean() == pytest.approx(2.5, abs=0.05)


def test_stumps_are_one_step_wide_and_spaced_as_asked(outlines: Outlines) -> None:
    pts = outlines(_stumps(0, 1.0, 3.0))
    lefts = np.array([p[:, 0].min() for p in pts])
    rights = np.array([p[:, 0].max() for p in pts])
    np.testing.assert_allclose(rights - lefts, STEP, atol=1e-5)
    np.testing.assert_allclose(lefts[1:] - rights[:-1], 3.0 * STEP, atol=1e-4)
    assert all(np.isclose(p[:, 1].min(), GROUND_Y, atol=1e-5) for p in pts)  # on the ground


def test_stump_spacing_has_a_floor(outlines: Outlines) -> None:
    pts = outlines(_stumps(0, 1.0, 0.0))
    lefts = np.array([p[:, 0].min() for p in pts])
    rights = np.array([p[:, 0].max() for p in pts])
    np.testing.assert_allclose(lefts[1:] - rights[:-1], 0.01 * STEP, atol=1e-4)


def _hexagons(task: Any, outlines: Outlines) -> tuple[Any, list[np.ndarray]]:
    env = gym.make("HexagonTracks-v0")
    env.reset(seed=0, options={"task": task})
    return env, outlines(env)


def test_all_zero_offsets_give_default_hexagons_spaced_8_steps(outlines: Outlines) -> None:
    env, pts = _hexagons(np.zeros(12), outlines)
    assert len(pts) > 10
    bodies = [b for b in env.unwrapped.world.bodies if b.userData == "obstacle"]
    assert all(len(b.fixtures) == 1 and len(b.fixtures[0].shape.vertices) == 6 for b in bodies)
    expected = {tuple(v) for v in np.round((DEFAULT_HEXAGON + [0.5, 0.0]) * STEP, 4)}
    for p in pts:
        local = np.round(p - [p[:, 0].min(), GROUND_Y], 4)
        assert {tuple(v) for v in local} == expected
    gaps = [b[:, 0].min() - a[:, 0].max() for a, b in zip(pts, pts[1:], strict=False)]
    np.testing.assert_allclose(gaps, 8 * STEP, atol=1e-4)


def test_offsets_move_the_vertices(outlines: Outlines) -> None:
    task = np.zeros(12)
    task[5] = 2.0  # dy2: the upper-left vertex rises by two steps
    task[1] = 3.0  # dy0 is ignored: ground vertices stay on the ground
    _, pts = _hexagons(task, outlines)
    top = max(p[:, 1].max() for p in pts)
    assert top == pytest.approx(GROUND_Y + 2.5 * STEP, abs=1e-4)
    assert min(p[:, 1].min() for p in pts) == pytest.approx(GROUND_Y, abs=1e-5)


def test_non_convex_hexagons_become_several_convex_fixtures_on_one_body(
    outlines: Outlines,
) -> None:
    task = np.zeros(12)
    task[6] = 1.0  # dx3: the upper-right vertex moves right by one step -> concave outline
    task[7] = 1.5  # dy3
    env, pts = _hexagons(task, outlines)
    bodies = [b for b in env.unwrapped.world.bodies if b.userData == "obstacle"]
    assert len(bodies) == len(pts) and len(bodies[0].fixtures) > 1
    first = bodies[0]
    area = 0.0
    for fixture in first.fixtures:
        v = np.array(fixture.shape.vertices)
        area += 0.5 * abs(
            np.dot(v[:, 0], np.roll(v[:, 1], -1)) - np.dot(v[:, 1], np.roll(v[:, 0], -1))
        )
    outline = (
        DEFAULT_HEXAGON + np.array([[0, 0], [0, 0], [0, 0], [1, 1.5], [0, 0], [0, 0]])
    ) * STEP
    x, y = outline[:, 0], outline[:, 1]
    exact = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert area == pytest.approx(exact, rel=1e-4)


def _revolute(world: Any) -> list[Any]:
    return [j for j in world.joints if isinstance(j, b2RevoluteJoint)]


@pytest.mark.parametrize(("walker", "chains"), [("default", 2), ("short", 2), ("quadruped", 4)])
def test_leg_chains_are_attached_to_the_hull(walker: str, chains: int) -> None:
    env = gym.make("StumpTracks-v0", walker=walker).unwrapped
    env.reset(seed=0)
    joints = _revolute(env.world)
    assert len(joints) == 2 * chains
    hips = [j for j in joints if j.bodyA.userData == HULL_TAG]
    assert len(hips) == chains
    spec = envs.walker_spec(walker)
    for hip in hips:
        thigh = hip.bodyB
        knees = [j for j in joints if j.bodyA == thigh]
        assert len(knees) == 1  # each thigh carries exactly one shin
        shin = knees[0].bodyB
        assert isinstance(shin.userData, int)  # a foot with its own contact sensor
        for body in (thigh, shin):
            extent = np.ptp(np.array(body.fixtures[0].shape.vertices)[:, 1])
            assert extent == pytest.approx(spec.leg_length, abs=1e-5)
        assert hip.motorEnabled and knees[0].motorEnabled
    hip_x = sorted({round(h.GetLocalAnchorA().x, 5) for h in hips})  # type: ignore[attr-defined]
    assert len(hip_x) == chains // 2  # the quadruped has a rear and a front pair


def test_every_quadruped_motor_follows_its_own_action_entry() -> None:
    env = gym.make("StumpTracks-v0", walker="quadruped").unwrapped
    env.reset(seed=0)
    for i in range(8):
        action = np.zeros(8, dtype=np.float32)
        action[i] = -0.5
        env.step(action)
        torques = [abs(j.GetMotorTorque(50.0)) for j in env.joints]  # N m over the step
        speeds = [j.motorSpeed for j in env.joints]
        assert 0.0 < torques[i] <= 150.0 + 1e-3  # 0.5 of the quadruped's 300 N m
        assert all(t == 0.0 for k, t in enumerate(torques) if k != i)
        assert speeds[i] < 0 and all(s == 0 for k, s in enumerate(speeds) if k != i)
    assert len(env.joints) == 8


def test_foot_contacts_are_observed_for_every_leg() -> None:
    env = gym.make("StumpTracks-v0", walker="quadruped")
    obs, _ = env.reset(seed=0)
    for _ in range(30):  # the walker drops onto its feet
        obs, *_ = env.step(np.zeros(8, dtype=np.float32))
    names = env.unwrapped.observation_names
    contacts = [obs[names.index(f"foot{leg}_contact")] for leg in range(4)]
    assert contacts == [1.0, 1.0, 1.0, 1.0]
