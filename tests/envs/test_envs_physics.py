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
from envs._track import (
    DEFAULT_HEXAGON,
    FINISH_X,
    GROUND_Y,
    MIN_STUMP_HEIGHT,
    OBSTACLES_START,
    STEP,
    STUMP_HEIGHT_STD,
    TRACK_END,
)

Outlines = Callable[[Any], list[np.ndarray]]
Heights = Callable[[Any], np.ndarray]


def _stumps(seed: int, stump_height: float, obstacle_spacing: float) -> Any:
    env = gym.make("StumpTracks-v1")
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


def test_stump_heights_are_normal_around_the_mean_in_steps() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    tops = []
    for seed in range(20):
        env.reset(seed=seed, options={"task": {"stump_height": 2.0, "obstacle_spacing": 1.0}})
        tops += [(poly[2][1] - GROUND_Y) / STEP for poly in env.track.obstacles]
    assert len(tops) > 1000
    assert np.mean(tops) == pytest.approx(2.0, abs=0.01)
    assert np.std(tops) == pytest.approx(STUMP_HEIGHT_STD, rel=0.1)


@pytest.mark.parametrize("spacing", [6.0, 3.0, 1.0, 0.0])
def test_stumps_are_one_step_wide_and_spaced_in_metres_up_to_the_track_end(
    spacing: float, outlines: Outlines
) -> None:
    pts = outlines(_stumps(0, 1.0, spacing))
    lefts = np.array([p[:, 0].min() for p in pts])
    rights = np.array([p[:, 0].max() for p in pts])
    np.testing.assert_allclose(rights - lefts, STEP, atol=1e-5)
    # The gap is in metres (floor 0.01 m), so the pitch is one step plus the spacing.
    np.testing.assert_allclose(lefts[1:] - rights[:-1], max(spacing, 0.01), atol=1e-4)
    assert lefts[0] == pytest.approx(OBSTACLES_START, abs=1e-5)
    # Stumps go on past the finish line while x < the terrain end (93.33 m).
    assert lefts[-1] < TRACK_END <= lefts[-1] + STEP + max(spacing, 0.01) + 1e-9
    assert all(np.isclose(p[:, 1].min(), GROUND_Y, atol=1e-5) for p in pts)  # on the ground


def test_ground_chain_stops_where_the_generator_stopped() -> None:
    env = _stumps(0, 0.0, 6.0).unwrapped
    ground = env.track.ground
    assert ground[-1][0] == pytest.approx(87.4, abs=1e-9) and ground[-1][0] < FINISH_X
    assert [p[0] for p in ground[:3]] == [0.0, OBSTACLES_START, OBSTACLES_START]
    edges = [b for b in env.world.bodies if b.userData == "ground"]
    assert len(edges) == len(ground) - 1


def test_hexagon_anchors_are_9_m_apart_ten_per_track() -> None:
    starts, ground_x = envs.obstacle_starts(1.0, 8.0)
    assert len(starts) == 10
    np.testing.assert_allclose(starts, OBSTACLES_START + 9.0 * np.arange(10), atol=1e-12)
    env = gym.make("HexagonTracks-v1").unwrapped
    env.reset(seed=3)
    centres = [np.mean([p[0] for p in (poly[0], poly[5])]) for poly in env.track.obstacles]
    np.testing.assert_allclose(centres, starts, atol=0.1 * STEP * 5)


def test_hexagon_noise_is_drawn_per_vertex_around_the_offsets() -> None:
    env = gym.make("HexagonTracks-v1").unwrapped
    offsets = np.linspace(0.0, 3.3, 12)
    base = np.array(DEFAULT_HEXAGON, dtype=float)
    anchors = np.array(envs.obstacle_starts(1.0, 8.0)[0])
    moves = []
    for seed in range(40):
        env.reset(seed=seed, options={"task": offsets})
        polys = np.array(env.track.obstacles)  # (10, 6, 2) metres
        local = (polys - np.stack([anchors, np.full(10, GROUND_Y)], axis=1)[:, None]) / STEP
        moves.append(local - base)
    draws = np.concatenate(moves)  # (400, 6, 2) steps
    expected = offsets.reshape(6, 2).copy()
    expected[[0, 5], 1] = 0.0  # ground vertices do not move up
    np.testing.assert_allclose(draws.mean(axis=0), expected, atol=0.025)
    sd = draws.std(axis=0)
    np.testing.assert_allclose(sd[:, 0], 0.1, rtol=0.15)
    np.testing.assert_allclose(sd[1:5, 1], 0.1, rtol=0.15)
    assert np.all(sd[[0, 5], 1] == 0.0)


def test_seed_and_task_fix_the_track_and_the_push() -> None:
    env = gym.make("HexagonTracks-v1").unwrapped
    task = envs.test_set("HexagonTracks-v1", "paper50")[4]
    env.reset(seed=11, options={"task": task})
    first = (env.track, env.push)
    env.reset(seed=12, options={"task": task})
    assert env.track != first[0]
    env.reset(seed=11, options={"task": task})
    assert (env.track, env.push) == first
    assert -5.0 <= env.push <= 5.0


def test_hexagons_are_one_convex_fixture_each(outlines: Outlines) -> None:
    env = gym.make("HexagonTracks-v1").unwrapped
    task = np.zeros(12)
    task[6], task[7] = 1.0, 1.5  # dx3, dy3: the outline would be concave
    env.reset(seed=0, options={"task": task})
    bodies = [b for b in env.world.bodies if b.userData == "obstacle"]
    assert len(bodies) == 10
    for body in bodies:
        (fixture,) = body.fixtures
        v = np.array(fixture.shape.vertices)
        assert 3 <= len(v) <= 6
        edges = np.roll(v, -1, axis=0) - v
        turns = edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1)
        assert np.all(turns > 0)  # counter-clockwise and convex


def test_a_track_replays_exactly_from_its_dict() -> None:
    env = gym.make("StumpTracks-v1").unwrapped
    env.reset(seed=5, options={"task": {"stump_height": 1.5, "obstacle_spacing": 2.0}})
    shared = envs.Track.from_dict(env.track.to_dict())
    actions = np.random.default_rng(0).uniform(-1, 1, (60, 4))
    a = envs.replay("StumpTracks-v1", env.track, actions, push=env.push)
    b = envs.replay("StumpTracks-v1", shared, actions, push=env.push)
    np.testing.assert_array_equal(a.observations, b.observations)
    obs, _ = env.reset(seed=99, options={"track": shared, "push": env.push})
    assert env.track == shared
    np.testing.assert_array_equal(obs, a.observations[0].astype(np.float32))


def _revolute(world: Any) -> list[Any]:
    return [j for j in world.joints if isinstance(j, b2RevoluteJoint)]


@pytest.mark.parametrize(("walker", "chains"), [("default", 2), ("short", 2), ("quadruped", 4)])
def test_leg_chains_are_attached_to_the_hull(walker: str, chains: int) -> None:
    env = gym.make("StumpTracks-v1", walker=walker).unwrapped
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
    env = gym.make("StumpTracks-v1", walker="quadruped").unwrapped
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


@pytest.mark.parametrize(
    ("foot_contact", "expected"), [("first_pair", [1, 1, 0, 0]), ("all", [1] * 4)]
)
def test_foot_contact_mode(foot_contact: str, expected: list[int]) -> None:
    env = gym.make("StumpTracks-v1", walker="quadruped", foot_contact=foot_contact)
    obs, _ = env.reset(seed=0, options={"push": 0.0})
    for _ in range(30):  # the walker drops onto its feet
        obs, *_ = env.step(np.zeros(8, dtype=np.float32))
    names = env.unwrapped.observation_names
    contacts = [obs[names.index(f"foot{leg}_contact")] for leg in range(4)]
    assert contacts == expected


def test_quadruped_legs_are_placed_apart_from_their_hinges() -> None:
    env = gym.make("StumpTracks-v1", walker="quadruped").unwrapped
    env.reset(seed=0)
    hips = [j for j in _revolute(env.world) if j.bodyA.userData == HULL_TAG]
    anchors = sorted({round(h.GetLocalAnchorA().x, 5) for h in hips})  # type: ignore[attr-defined]
    assert anchors == [-1.2, 0.85]
