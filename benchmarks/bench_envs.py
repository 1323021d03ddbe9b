"""Step and reset speed of StumpTracks-v1 / HexagonTracks-v1 against stock BipedalWalker-v3.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_envs``. Every
environment goes through ``gymnasium.make`` (same wrappers as the stock one). Rounds
interleave the environments so that load from other processes hits all of them alike;
each number is the median over rounds.

* steps/s: random actions (uniform in [-1, 1], pre-drawn), only ``env.step`` timed; an
  episode that ends is reset (not timed) on the next task of the ``paper50`` test set.
* reset: ``env.reset(options={"task": ...})`` cycling through ``paper50`` (a new task
  every reset) against the stock ``env.reset()`` (a new random terrain every reset).

Targets: steps/s ratio >= 0.9, reset time ratio <= 1.2 (default walker).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import gymnasium as gym
import numpy as np

import envs
from benchmarks._results import markdown_table, write_section

STOCK = "BipedalWalker-v3"
ROUNDS = 5
STEPS = 4000  # per environment per round
RESETS = 200  # per environment per round
STEP_TARGET = 0.9
RESET_TARGET = 1.2

# (label, env id, walker): the first three carry the targets, the others are for reference.
CASES: list[tuple[str, str, str | None]] = [
    ("stock", STOCK, None),
    ("stumps", "StumpTracks-v1", "default"),
    ("hexagons", "HexagonTracks-v1", "default"),
    ("stumps/short", "StumpTracks-v1", "short"),
    ("stumps/quadruped", "StumpTracks-v1", "quadruped"),
    ("hexagons/quadruped", "HexagonTracks-v1", "quadruped"),
]


def _make(env_id: str, walker: str | None) -> Any:
    return gym.make(env_id) if walker is None else gym.make(env_id, walker=walker)


def _tasks(env_id: str) -> np.ndarray | None:
    return None if env_id == STOCK else envs.test_set(env_id, "paper50")


def _options(tasks: np.ndarray | None, i: int) -> dict[str, Any] | None:
    return None if tasks is None else {"task": tasks[i % len(tasks)]}


def steps_per_second(env: Any, tasks: np.ndarray | None, seed: int) -> float:
    """Random-action env.step calls per second (resets excluded from the timing)."""
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, (STEPS, *env.action_space.shape)).astype(np.float32)
    episode = 0
    env.reset(seed=seed, options=_options(tasks, episode))
    elapsed = 0.0
    clock = time.perf_counter
    for action in actions:
        start = clock()
        _, _, terminated, truncated, _ = env.step(action)
        elapsed += clock() - start
        if terminated or truncated:
            episode += 1
            env.reset(options=_options(tasks, episode))
    return STEPS / elapsed


def reset_ms(env: Any, tasks: np.ndarray | None, seed: int) -> float:
    """Mean milliseconds per reset, a new task (or stock terrain) every time."""
    env.reset(seed=seed)
    start = time.perf_counter()
    for i in range(RESETS):
        env.reset(options=_options(tasks, i))
    return 1e3 * (time.perf_counter() - start) / RESETS


def main() -> None:
    began = time.perf_counter()
    made = {label: (_make(env_id, walker), _tasks(env_id)) for label, env_id, walker in CASES}
    speed: dict[str, list[float]] = {label: [] for label in made}
    resets: dict[str, list[float]] = {label: [] for label in made}
    for r in range(ROUNDS):
        for label, (env, tasks) in made.items():
            speed[label].append(steps_per_second(env, tasks, seed=r))
            resets[label].append(reset_ms(env, tasks, seed=r))

    step_median = {k: statistics.median(v) for k, v in speed.items()}
    reset_median = {k: statistics.median(v) for k, v in resets.items()}
    rows = []
    for label, env_id, walker in CASES:
        step_ratio = step_median[label] / step_median["stock"]
        reset_ratio = reset_median[label] / reset_median["stock"]
        targeted = label in ("stumps", "hexagons")
        rows.append(
            [
                env_id,
                walker or "(stock)",
                f"{step_median[label]:,.0f}",
                f"{step_ratio:.2f}",
                ("met" if step_ratio >= STEP_TARGET else "MISSED") if targeted else "-",
                f"{reset_median[label]:.2f}",
                f"{reset_ratio:.2f}",
                ("met" if reset_ratio <= RESET_TARGET else "MISSED") if targeted else "-",
            ]
        )
    headers = [
        "environment",
        "walker",
        "steps/s",
        "vs stock",
        f"target >= {STEP_TARGET}",
        "reset ms",
        "vs stock",
        f"target <= {RESET_TARGET}",
    ]
    table = markdown_table(headers, rows)
    body = (
        f"Random actions through `gymnasium.make` wrappers; median of {ROUNDS} interleaved "
        f"rounds of {STEPS} steps and {RESETS} resets per environment. Resets of our "
        "environments apply a new task from `paper50` every time; stock resets draw a new "
        "random terrain. The `-v1` environments build the reference's terrain: one static "
        "body per ground edge (28-117 edges) and per obstacle. Run: "
        "`.venv/bin/python -m benchmarks.bench_envs`.\n\n" + table
    )
    print(table)
    print(f"\n({time.perf_counter() - began:.0f} s)")
    write_section("envs", "Environments: step and reset speed", body)


if __name__ == "__main__":
    main()
