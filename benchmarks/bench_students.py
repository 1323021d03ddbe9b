"""Overhead of the teacher for a training worker: PPO steps/s on StumpTracks-v1 with the
remote teacher (a real server over HTTP) versus the same worker on a fixed task with no
teacher, interleaved in one run on the same machine. Target: overhead <= 5%.

    .venv/bin/python -m benchmarks.bench_students [--steps 30720] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import envs
from benchmarks._results import markdown_table, write_section
from curriculum._local import local_server
from students import CurriculumWrapper, HttpTaskSource, LocalTaskSource, TeacherClient
from teacher import Curriculum, CurriculumConfig, TaskSpace

ENV = "StumpTracks-v1"
FIXED = {"stump_height": 1.5, "obstacle_spacing": 3.0}
CAP = 500


def _train(make_env, steps: int, seed: int) -> tuple[float, int]:
    vec = DummyVecEnv([make_env])
    model = PPO("MlpPolicy", vec, seed=seed, device="cpu", verbose=0)
    t0 = time.perf_counter()
    model.learn(steps)
    dt = time.perf_counter() - t0
    episodes = sum(1 for _ in model.ep_info_buffer)
    vec.close()
    return steps / dt, episodes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30_720)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    bounds = {k: list(v) for k, v in envs.task_bounds(ENV).items()}
    rates: dict[str, list[float]] = {"fixed task, no teacher": [], "remote teacher (HTTP)": [],
                                     "in-process teacher": []}
    with tempfile.TemporaryDirectory() as tmp, local_server(Path(tmp) / "b.db") as url:
        client = TeacherClient(url)
        cid = client.create_curriculum(
            "bench", teacher="alp-gmm", space=bounds, reward_bounds=(-150, 350),
            mastery_threshold=230.0, teacher_params={"fit_rate": 50},
        )["id"]
        space = TaskSpace(envs.task_bounds(ENV))
        for r in range(a.rounds):
            cur = Curriculum(CurriculumConfig("local", "alp-gmm", space, {"fit_rate": 50},
                                              seed=r, reward_bounds=(-150, 350)))
            makers = {
                "fixed task, no teacher": lambda: Monitor(
                    gym.make(ENV, task=FIXED, max_episode_steps=CAP)),
                "remote teacher (HTTP)": lambda: Monitor(CurriculumWrapper(
                    gym.make(ENV, max_episode_steps=CAP),
                    lambda: HttpTaskSource(TeacherClient(url), cid, worker="bench"))),
                "in-process teacher": lambda cur=cur: Monitor(CurriculumWrapper(
                    gym.make(ENV, max_episode_steps=CAP), LocalTaskSource(cur))),
            }
            for name, make in makers.items():
                rate, _ = _train(make, a.steps, seed=r)
                rates[name].append(rate)
                print(f"round {r}: {name}: {rate:.0f} steps/s")
        episodes = client.get_curriculum(cid)["counts"]["results"]
        client.close()
    base = statistics.median(rates["fixed task, no teacher"])
    rows = []
    for name, vals in rates.items():
        med = statistics.median(vals)
        rows.append([name, f"{med:.0f}", " / ".join(f"{v:.0f}" for v in vals),
                     "-" if vals is rates["fixed task, no teacher"]
                     else f"{100 * (1 - med / base):+.1f}%"])
    table = markdown_table(["worker", "median steps/s", "per round", "overhead"], rows)
    print(table)
    body = (
        f"PPO (SB3 defaults, 1 torch thread, DummyVecEnv with one env) on {ENV}, default "
        f"walker, episodes capped at {CAP} steps, {a.steps:,} steps per measurement, "
        f"{a.rounds} interleaved rounds; the remote teacher is a real `curriculum serve` "
        f"(SQLite, ALP-GMM with fit_rate 50) on loopback, {episodes} episodes reported. "
        f"Target: overhead <= 5%.\n\n{table}"
    )
    write_section("students", "Student worker: teacher overhead", body)


if __name__ == "__main__":
    main()
