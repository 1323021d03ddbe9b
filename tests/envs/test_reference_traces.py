"""Step-for-step agreement with the paper's own environment, from recorded traces.

The traces (tests/data/reference_traces.json.gz, a copy of ../shared/reference/; or the
file named by CURRICULUM_REFERENCE_TRACES) were recorded by running teachDeepRL's
parameterised BipedalWalker: each case is a track (exact geometry), a walker and runs of
(initial push, actions) with every observation, reward and termination. Each run is
rebuilt through the public API (``envs.Track.from_reference``, ``envs.replay``) and must
agree bit for bit. The generator is checked against the same records: the recorded draws
must give the recorded geometry.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import envs

_DEFAULT = Path(__file__).resolve().parents[1] / "data" / "reference_traces.json.gz"
_WALKERS = {"default": "default", "small": "short", "short": "short", "quadru": "quadruped"}
_ENVS = {"stumps": "StumpTracks-v1", "hexagons": "HexagonTracks-v1"}


@functools.cache
def _traces() -> dict[str, Any]:
    path = Path(os.environ.get("CURRICULUM_REFERENCE_TRACES") or _DEFAULT)
    with gzip.open(path, "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _runs() -> list[Any]:
    return [
        pytest.param(i, j, id=f"case{c['case_id']}-{c['environment']}-{c['walker']}-run{j}")
        for i, c in enumerate(_traces()["cases"])
        for j in range(len(c["runs"]))
    ]


def _case(i: int) -> tuple[dict[str, Any], str, str]:
    case = _traces()["cases"][i]
    return case, _ENVS[case["environment"]], _WALKERS[case["walker"]]


def _first_difference(ours: np.ndarray, recorded: np.ndarray) -> str:
    n = min(len(ours), len(recorded))
    bad = np.argwhere(ours[:n] != recorded[:n])
    if len(bad) == 0:
        return f"lengths differ: {len(ours)} vs {len(recorded)} recorded"
    where = tuple(int(k) for k in bad[0])
    return f"first at {where}: {ours[where]!r} vs {recorded[where]!r} recorded"


@pytest.mark.parametrize(("case_index", "run_index"), _runs())
def test_run_reproduces_the_reference_bit_for_bit(case_index: int, run_index: int) -> None:
    case, env_id, walker = _case(case_index)
    run = case["runs"][run_index]
    track = envs.Track.from_reference(case["terrain"])
    ours = envs.replay(
        env_id, track, np.array(run["actions"]), push=run["push_force_x"], walker=walker
    )
    obs = np.array(run["obs"], dtype=np.float64)
    rewards = np.array(run["reward"], dtype=np.float64)
    ends = np.array(run["terminated"], dtype=bool)
    assert np.array_equal(ours.observations, obs), _first_difference(ours.observations, obs)
    assert np.array_equal(ours.rewards, rewards), _first_difference(ours.rewards, rewards)
    assert np.array_equal(ours.terminated, ends), _first_difference(ours.terminated, ends)


@pytest.mark.parametrize("case_index", range(len(_traces()["cases"])))
def test_nearest_lidar_option_reads_the_nearest_hit_and_changes_nothing_else(
    case_index: int,
) -> None:
    case, env_id, walker = _case(case_index)
    run = case["runs"][0]
    track = envs.Track.from_reference(case["terrain"])
    ours = envs.replay(
        env_id,
        track,
        np.array(run["actions"]),
        push=run["push_force_x"],
        walker=walker,
        lidar="nearest",
    )
    obs = np.array(run["obs"], dtype=np.float64)
    closest = np.array(run["lidar_closest"], dtype=np.float64)
    np.testing.assert_array_equal(ours.observations[:, :-10], obs[:, :-10])
    np.testing.assert_array_equal(ours.observations[:, -10:], closest)


@pytest.mark.parametrize("case_index", range(len(_traces()["cases"])))
def test_generator_turns_the_recorded_draws_into_the_recorded_track(case_index: int) -> None:
    case, env_id, _ = _case(case_index)
    terrain = case["terrain"]
    if env_id.startswith("Stump"):
        stumps = terrain["stumps"]
        draws = [s["height_draw_steps"] for s in stumps]
        made = envs.stump_track(case["task"]["obstacle_spacing"], draws)
        heights = [max(0.05, d) for d in draws]
        assert heights == [s["height_steps"] for s in stumps]
        assert [p[0][0] for p in made.obstacles] == [s["x"] for s in stumps]
        assert [p[2][1] - p[0][1] for p in made.obstacles] == [s["height"] for s in stumps]
    else:
        hexagons = terrain["hexagons"]
        made = envs.hexagon_track(np.array([h["noise_draws_steps"] for h in hexagons]))
        passed = [[tuple(v) for v in h["vertices_passed"]] for h in hexagons]
        assert [list(p) for p in made.obstacles] == passed
    assert made == envs.Track.from_reference(terrain)
    assert [x for x, _ in made.ground] == terrain["ground_polyline_x"]
    assert [y for _, y in made.ground] == terrain["ground_polyline_y"]
    assert len(made.obstacles) == terrain["n_obstacles"]


@pytest.mark.parametrize(
    "case_index",
    [i for i, c in enumerate(_traces()["cases"]) if c["environment"] == "hexagons"],
)
def test_box2d_keeps_the_recorded_convex_hull_of_each_hexagon(case_index: int) -> None:
    case, env_id, _ = _case(case_index)
    env = envs.HexagonTracksEnv()
    env.reset(options={"track": envs.Track.from_reference(case["terrain"]), "push": 0.0})
    kept = [
        [list(v) for v in body.fixtures[0].shape.vertices]
        for body in env.terrain
        if body.userData == "obstacle"
    ]
    assert kept == [h["vertices_box2d"] for h in case["terrain"]["hexagons"]]
