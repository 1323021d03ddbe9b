"""RLlib PPO (the new API stack) on Stump Tracks, with the task of every episode chosen by
a teacher server: our teachers for RLlib users, without SB3.

    make rllib-venv                       # .venv-rllib: ray[rllib] pins gymnasium 1.2.2
    .venv-rllib/bin/python examples/rllib_ppo_teacher.py --iterations 5
    .venv-rllib/bin/python examples/rllib_ppo_teacher.py --server http://127.0.0.1:8000

Without ``--server`` a teacher server is started on a free 127.0.0.1 port (its SQLite
file under ``--out``). The env creator wraps each environment in ``CurriculumWrapper``,
which asks the server for a task at every reset and reports every finished episode. Ray
starts on 127.0.0.1 only (no dashboard).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import Any

ENV_ID = "StumpTracks-v1"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=None, help="teacher server URL (default: start one)")
    p.add_argument("--curriculum", default="rllib-stump-tracks")
    p.add_argument("--teacher", default="alp-gmm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=2)
    p.add_argument("--batch", type=int, default=256, help="env steps per iteration")
    p.add_argument("--max-episode-steps", type=int, default=200)
    p.add_argument("--out", type=Path, default=Path("runs/rllib-example"))
    return p.parse_args()


def make_env(env_config: Any):
    """RLlib's env creator: runs inside each EnvRunner; one teacher worker name per env."""
    from students.config import StudentConfig
    from students.envsetup import resolve_env
    from students.sources import HttpTaskSource
    from students.wrappers import CurriculumWrapper

    setup = resolve_env(StudentConfig(server=env_config["url"], env_id=ENV_ID,
                                      max_episode_steps=env_config["max_episode_steps"]))
    index = (getattr(env_config, "worker_index", 0), getattr(env_config, "vector_index", 0))
    source = HttpTaskSource.factory(env_config["url"], env_config["curriculum_id"],
                                    worker=f"rllib/{index[0]}/{index[1]}")
    return CurriculumWrapper(setup.make_base(), source)


def create_curriculum(url: str, args: argparse.Namespace) -> str:
    from students.client import TeacherClient
    from students.config import StudentConfig
    from students.envsetup import resolve_env

    setup = resolve_env(StudentConfig(server=url, env_id=ENV_ID))
    rb = setup.reward_bounds
    with TeacherClient(url) as client:
        return str(client.create_curriculum(
            args.curriculum, teacher=args.teacher, seed=args.seed,
            space={k: list(v) for k, v in setup.bounds.items()},
            reward_bounds=None if rb is None else [float(rb[0]), float(rb[1])],
            mastery_threshold=setup.mastery_threshold, environment=setup.environment(),
        )["id"])


def train(url: str, args: argparse.Namespace) -> None:
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keep 127.0.0.1 as given
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    from students.client import TeacherClient

    cid = create_curriculum(url, args)
    ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=2,
             log_to_driver=False)
    try:
        register_env("stump-tracks-curriculum", make_env)
        config = (
            PPOConfig()
            .environment("stump-tracks-curriculum", env_config={
                "url": url, "curriculum_id": cid, "max_episode_steps": args.max_episode_steps})
            .env_runners(num_env_runners=0, rollout_fragment_length=args.batch)
            .training(train_batch_size_per_learner=args.batch, minibatch_size=64,
                      num_epochs=1)
            .debugging(seed=args.seed)
        )
        algo = config.build_algo()
        for i in range(args.iterations):
            result = algo.train()
            runners = result.get("env_runners", {})
            print(f"iteration {i + 1}/{args.iterations}: "
                  f"{runners.get('num_env_steps_sampled_lifetime', '?')} env steps, "
                  f"episodes {runners.get('num_episodes_lifetime', '?')}, "
                  f"mean return {runners.get('episode_return_mean', float('nan')):.1f}",
                  flush=True)
        algo.stop()  # closes the envs: queued reports are flushed
    finally:
        ray.shutdown()
    with TeacherClient(url) as client:
        counts = client.get_curriculum(cid)["counts"]
    print(f"teacher: {counts['results']} episodes reported, {counts['fits']} GMM fits")


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        url = args.server
        if url is None:
            from curriculum._local import local_server

            url = stack.enter_context(local_server(args.out / "curriculum.db",
                                                   log_path=args.out / "server.log"))
        train(url, args)


if __name__ == "__main__":
    main()
