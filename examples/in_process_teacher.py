"""A teacher in the training process itself: no server, no HTTP.

    python examples/in_process_teacher.py --episodes 300 --log runs/in_process.jsonl

Two ways, both shown here on CartPole-v1 made task-parameterised (pole length, mass):

1. the bare teacher API: ``task = teacher.sample_task()``, run an episode on it,
   ``teacher.update(task, episode_return)``, with any policy (here a noisy hand-made
   controller, so the example runs in a second);
2. a ``teacher.Curriculum`` (the event-sourced state the server hosts) behind
   ``LocalTaskSource`` and ``CurriculumWrapper``: the environment pulls a task at every
   reset and reports every finished episode, and the event log written next to it
   replays exactly (``curriculum replay``, ``teacher.analysis``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from students.sources import LocalTaskSource
from students.taskenv import TaskParamEnv
from students.wrappers import CurriculumWrapper
from teacher import (
    Curriculum,
    CurriculumConfig,
    JsonlWriter,
    TaskSpace,
    make_teacher,
    read_jsonl,
    replay,
)

BOUNDS = {"length": (0.2, 2.0), "masspole": (0.05, 0.5)}


def controller(obs: np.ndarray, rng: np.random.Generator, noise: float = 0.3) -> int:
    """Push the cart towards the side the pole is falling to (plus some noise)."""
    push = obs[2] + 0.5 * obs[3] + 0.05 * obs[1]
    return int(push > 0) if rng.random() > noise else int(rng.integers(2))


def run_episode(env, rng: np.random.Generator, **reset_kwargs) -> float:
    obs, _ = env.reset(**reset_kwargs)
    total, done = 0.0, False
    while not done:
        obs, reward, term, trunc, _ = env.step(controller(obs, rng))
        total += float(reward)
        done = term or trunc
    return total


def bare_teacher(episodes: int, seed: int) -> None:
    space = TaskSpace(BOUNDS)
    teacher = make_teacher("alp-gmm", space, random_state=seed, fit_rate=50,
                           reward_bounds=(0.0, 500.0))
    env, rng = TaskParamEnv("CartPole-v1", BOUNDS), np.random.default_rng(seed)
    for i in range(episodes):
        task = teacher.sample_task()  # array (2,) in the space's order
        ret = run_episode(env, rng, seed=seed + i, options={"task": space.to_dict(task)})
        teacher.update(task, ret)
    origins = Counter(o.split(":")[0] for o in teacher.record_.origins)
    print(f"bare teacher: {episodes} episodes, {len(teacher.record_.fits)} fits, "
          f"origins {dict(origins)}")


def curriculum_with_wrapper(episodes: int, seed: int, log: Path) -> None:
    config = CurriculumConfig(
        name="in-process", teacher="alp-gmm", space=TaskSpace(BOUNDS),
        teacher_params={"fit_rate": 50}, seed=seed, reward_bounds=(0.0, 500.0),
        mastery_threshold=475.0, environment={"id": "CartPole-v1"},
    )
    curriculum = Curriculum(config, fit_mode="sync")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    source = LocalTaskSource(curriculum, writer=JsonlWriter(log), worker="example")
    env = CurriculumWrapper(TaskParamEnv("CartPole-v1", BOUNDS), source)
    rng = np.random.default_rng(seed)
    for i in range(episodes):
        run_episode(env, rng, seed=seed + i)  # the wrapper sets the task
    env.close()  # flushes the log
    counts = curriculum.counts()
    rebuilt = replay(list(read_jsonl(log)))
    print(f"curriculum: {counts['results']} results, {counts['fits']} fits; log {log} "
          f"({len(log.read_text().splitlines())} events) replays to a teacher that has seen "
          f"{rebuilt.n_updates_} episodes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", type=Path, default=Path("runs/in_process.jsonl"))
    args = parser.parse_args()
    bare_teacher(args.episodes, args.seed)
    curriculum_with_wrapper(args.episodes, args.seed, args.log)


if __name__ == "__main__":
    main()
