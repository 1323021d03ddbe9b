"""Single-file PPO (pure PyTorch, CleanRL's layout) on a Gymnasium AsyncVectorEnv, with
the task of every episode chosen by a teacher server over HTTP.

    curriculum serve --port 8000 --db sqlite:///runs/curricula.db      # one terminal
    python examples/cleanrl_ppo_teacher.py --server http://127.0.0.1:8000 \
        --total-timesteps 200000 --num-envs 4                          # another

The environment is CartPole-v1 made task-parameterised with ``TaskParamEnv`` (pole length
and mass; CartPole's cached products are recomputed), and ``CurriculumWrapper`` pulls a
task from the teacher at every reset, inside each AsyncVectorEnv subprocess, and reports
every finished episode. At the end of each rollout the loop sends every episode that
ended in it a late score, PLR's positive value loss (the mean of max(advantage, 0) over
the episode's steps, across rollouts; :class:`PositiveValueLoss`), after flushing the
results it belongs to. Only the light client is needed from this project
(``pip install 'curriculum-teacher[client]'`` plus torch).
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

from students.client import TeacherClient
from students.sources import HttpTaskSource
from students.taskenv import TaskParamEnv
from students.wrappers import CurriculumWrapper

SPACE = {"length": (0.2, 2.0), "masspole": (0.05, 0.5)}


@dataclass
class Args:
    server: str = "http://127.0.0.1:8000"
    curriculum: str = "cleanrl-cartpole"
    teacher: str = "alp-gmm"
    seed: int = 1
    total_timesteps: int = 100_000
    num_envs: int = 4
    num_steps: int = 128  # per environment per rollout
    learning_rate: float = 2.5e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    num_minibatches: int = 4
    update_epochs: int = 4
    clip_coef: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in vars(Args()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return Args(**vars(parser.parse_args()))


def make_env(url: str, curriculum_id: str, rank: int):
    def thunk() -> gym.Env:
        env = TaskParamEnv("CartPole-v1", SPACE)
        # the source is built on first reset, inside the subprocess
        env = CurriculumWrapper(env, HttpTaskSource.factory(url, curriculum_id,
                                                            worker=f"cleanrl/{rank}"))
        return gym.wrappers.RecordEpisodeStatistics(env)

    return thunk


class PositiveValueLoss:
    """Per-episode mean positive GAE advantage (PLR's score), episodes spanning rollouts
    included: each env's sum and count carry over until its episode ends."""

    def __init__(self, num_envs: int):
        self.sum, self.count = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)
        self.start = np.zeros(num_envs, dtype=np.int64)
        self.ended: list[tuple[int, int, int, str]] = []  # env, first step, last, task id

    def episode_ends(self, step: int, env: int, task_id: str) -> None:
        self.ended.append((env, int(self.start[env]), step, task_id))
        self.start[env] = step + 1

    def rollout_end(self, advantages: np.ndarray) -> list[dict[str, object]]:
        """advantages: (num_steps, num_envs). The scores of the episodes that ended."""
        positive = np.maximum(advantages.astype(np.float64), 0.0)
        items: list[dict[str, object]] = []
        for env, first, last, task_id in self.ended:
            total = self.sum[env] + positive[first:last + 1, env].sum()
            count = self.count[env] + last + 1 - first
            items.append({"task_id": task_id, "score": float(total / count)})
            self.sum[env], self.count[env] = 0.0, 0
        for env, first in enumerate(self.start):  # running on into the next rollout
            self.sum[env] += positive[first:, env].sum()
            self.count[env] += len(positive) - first
        self.start[:] = 0
        self.ended = []
        return items


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Linear:
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class Agent(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(), layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, n_actions), std=0.01),
        )

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        dist = Categorical(logits=self.actor(x))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.critic(x)


def main(args: Args) -> dict[str, float]:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    with TeacherClient(args.server) as client:  # create the curriculum, or join it
        cid = client.create_curriculum(
            args.curriculum, teacher=args.teacher, space={k: list(v) for k, v in SPACE.items()},
            reward_bounds=(0.0, 500.0), mastery_threshold=475.0, seed=0,
            environment={"id": "CartPole-v1", "task_params": "length,masspole"},
        )["id"]

    # SAME_STEP: a finished sub-env resets inside step(), as CleanRL's loop expects
    envs = gym.vector.AsyncVectorEnv(
        [make_env(args.server, cid, i) for i in range(args.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    obs_dim = int(np.prod(envs.single_observation_space.shape))
    agent = Agent(obs_dim, int(envs.single_action_space.n))  # type: ignore[attr-defined]
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    obs = torch.zeros((args.num_steps, args.num_envs, obs_dim))
    actions = torch.zeros((args.num_steps, args.num_envs))
    logprobs = torch.zeros((args.num_steps, args.num_envs))
    rewards = torch.zeros((args.num_steps, args.num_envs))
    dones = torch.zeros((args.num_steps, args.num_envs))
    values = torch.zeros((args.num_steps, args.num_envs))

    global_step, episodes, returns = 0, 0, []
    start = time.time()
    next_obs_np, _ = envs.reset(seed=args.seed)
    next_obs = torch.tensor(next_obs_np, dtype=torch.float32)
    next_done = torch.zeros(args.num_envs)
    num_iterations = max(1, args.total_timesteps // args.batch_size)
    scorer = PositiveValueLoss(args.num_envs)
    client = TeacherClient(args.server)
    try:
        for iteration in range(1, num_iterations + 1):
            frac = 1.0 - (iteration - 1.0) / num_iterations  # annealed learning rate
            optimizer.param_groups[0]["lr"] = frac * args.learning_rate

            for step in range(args.num_steps):
                global_step += args.num_envs
                obs[step], dones[step] = next_obs, next_done
                with torch.no_grad():
                    action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
                actions[step], logprobs[step] = action, logprob
                next_obs_np, reward, term, trunc, infos = envs.step(action.numpy())
                rewards[step] = torch.tensor(reward, dtype=torch.float32)
                next_obs = torch.tensor(next_obs_np, dtype=torch.float32)
                next_done = torch.tensor(np.logical_or(term, trunc), dtype=torch.float32)
                final = infos.get("final_info", {})  # SAME_STEP: the ended episodes' info
                if "episode" in final:
                    finished = final["_episode"]
                    episodes += int(finished.sum())
                    returns += [float(r) for r in final["episode"]["r"][finished]]
                if "curriculum_task_id" in final:  # the wrapper names each ended task
                    for i in np.flatnonzero(final["_curriculum_task_id"]):
                        scorer.episode_ends(step, int(i), str(final["curriculum_task_id"][i]))

            with torch.no_grad():  # generalised advantage estimation
                next_value = agent.get_value(next_obs).reshape(1, -1)
                advantages = torch.zeros_like(rewards)
                lastgaelam = torch.zeros(args.num_envs)
                for t in reversed(range(args.num_steps)):
                    if t == args.num_steps - 1:
                        nextnonterminal, nextvalues = 1.0 - next_done, next_value
                    else:
                        nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
                    delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                    lastgaelam = (delta + args.gamma * args.gae_lambda * nextnonterminal
                                  * lastgaelam)
                    advantages[t] = lastgaelam
                returns_t = advantages + values
            scores = scorer.rollout_end(advantages.numpy())
            if scores:
                envs.call("flush_reports")  # their results reach the teacher first
                client.report_scores(cid, scores)

            b_obs = obs.reshape((-1, obs_dim))
            b_logprobs, b_actions = logprobs.reshape(-1), actions.reshape(-1)
            b_advantages, b_returns = advantages.reshape(-1), returns_t.reshape(-1)
            minibatch = max(1, args.batch_size // args.num_minibatches)
            b_inds = np.arange(args.batch_size)
            for _ in range(args.update_epochs):
                np.random.shuffle(b_inds)
                for s in range(0, args.batch_size, minibatch):
                    mb = b_inds[s:s + minibatch]
                    _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                        b_obs[mb], b_actions.long()[mb])
                    ratio = (newlogprob - b_logprobs[mb]).exp()
                    mb_adv = b_advantages[mb]
                    mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                    pg_loss = torch.max(
                        -mb_adv * ratio,
                        -mb_adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef),
                    ).mean()
                    v_loss = 0.5 * ((newvalue.view(-1) - b_returns[mb]) ** 2).mean()
                    loss = pg_loss - args.ent_coef * entropy.mean() + v_loss * args.vf_coef
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                    optimizer.step()
            recent = np.mean(returns[-20:]) if returns else float("nan")
            print(f"iteration {iteration}/{num_iterations}: step {global_step}, "
                  f"episodes {episodes}, mean return (last 20) {recent:.1f}, "
                  f"{global_step / (time.time() - start):.0f} steps/s", flush=True)
    finally:
        envs.close()  # closes each CurriculumWrapper: queued reports reach the teacher

    with client:
        counts = client.get_curriculum(cid)["counts"]
    print(f"teacher: {counts['results']} episodes reported, {counts['fits']} GMM fits")
    return {"steps": float(global_step), "episodes": float(episodes),
            "reported": float(counts["results"])}


if __name__ == "__main__":
    main(parse_args())
