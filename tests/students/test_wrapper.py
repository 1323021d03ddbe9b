import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

import envs  # noqa: F401 - registers the environments
from students import CurriculumWrapper, LocalTaskSource
from teacher import Curriculum, CurriculumConfig, TaskSpace


def _curriculum() -> Curriculum:
    space = TaskSpace(envs.task_bounds("StumpTracks-v1"))
    return Curriculum(CurriculumConfig("w", "alp-gmm", space, {"fit_rate": 4}, seed=0,
                                       reward_bounds=(-150, 350)))


def test_every_auto_reset_pulls_a_new_task_and_reports_once():
    cur = _curriculum()
    source = LocalTaskSource(cur, worker="w")

    def make():
        return CurriculumWrapper(gym.make("StumpTracks-v1", max_episode_steps=15), source)

    vec = DummyVecEnv([make, make])
    vec.seed(0)
    vec.reset()
    seen_tasks = []
    finished = 0
    for _ in range(100):
        _, _, dones, infos = vec.step(np.array([vec.action_space.sample() for _ in range(2)]))
        finished += int(dones.sum())
        seen_tasks += [i["task"] for i in infos if "task" in i and "episode" not in i]
    assert finished >= 12
    assert cur.n_results == finished  # each finished episode reported exactly once
    assert cur.n_fits >= 2  # the teacher learned from them
    issued = [e for e in cur.pending.values()]
    assert len(issued) == 2  # the two running episodes' tasks
    wrappers = [vec.envs[i] for i in range(2)]
    assert sum(w.episodes_reported for w in wrappers) == finished


def test_task_reaches_the_environment():
    cur = _curriculum()
    env = CurriculumWrapper(gym.make("StumpTracks-v1", max_episode_steps=5),
                            LocalTaskSource(cur))
    _, info = env.reset(seed=0)
    assert info["task_id"].startswith("t")
    (params,) = cur.pending.values()
    assert env.unwrapped.task == params or info["task"] == params
    env.close()
