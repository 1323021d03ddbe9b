"""Fixtures shared by the envs tests: real Box2D environments, nothing mocked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from envs._terrain import OBSTACLE_TAG
from envs._track import GROUND_Y, STEP


@pytest.fixture
def dummy_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let ``render_mode="human"`` open a window without a display."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield


def obstacle_outlines(env: Any) -> list[np.ndarray]:
    """World-space vertices (k, 2) of every obstacle body, read from its Box2D fixtures.

    Sorted by left edge; ``k`` counts the vertices of all the body's fixtures.
    """
    outlines = []
    for body in env.unwrapped.world.bodies:
        if body.userData != OBSTACLE_TAG:
            continue
        points = [
            tuple(body.transform * v) for fixture in body.fixtures for v in fixture.shape.vertices
        ]
        outlines.append(np.array(points))
    return sorted(outlines, key=lambda pts: float(pts[:, 0].min()))


def obstacle_heights(env: Any) -> np.ndarray:
    """Height of each obstacle above the ground, in terrain steps, from the fixtures."""
    return np.array([(pts[:, 1].max() - GROUND_Y) / STEP for pts in obstacle_outlines(env)])


@pytest.fixture
def outlines() -> Callable[[Any], list[np.ndarray]]:
    """``outlines(env)``: obstacle vertices read from the Box2D world (see obstacle_outlines)."""
    return obstacle_outlines


@pytest.fixture
def heights() -> Callable[[Any], np.ndarray]:
    """``heights(env)``: obstacle heights in terrain steps, from the Box2D fixtures."""
    return obstacle_heights
