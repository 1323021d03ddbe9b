"""`curriculum student` on an environment that is not ours (CartPole, a task space from
the command line), with RL Zoo hyper-parameters, task-in-observation and TensorBoard."""

from __future__ import annotations

import json

import numpy as np
from stable_baselines3 import PPO
from typer.testing import CliRunner

from curriculum.cli import app
from students.client import TeacherClient
from tests.students.conftest import run_worker

ZOO = """\
CartPole-v1:
  n_envs: 2
  n_timesteps: !!float 256
  policy: 'MlpPolicy'
  n_steps: 32
  batch_size: 32
  n_epochs: 2
  learning_rate: lin_0.001
  clip_range: lin_0.2
  normalize: true
  policy_kwargs: "dict(net_arch=[16, 16], activation_fn=nn.ReLU)"
"""


def _cmd(url: str, run_dir, *extra: str) -> list[str]:
    import sys

    return [
        sys.executable, "-m", "curriculum", "student", "--server", url,
        "--env", "CartPole-v1", "--task-param", "length=0.2:2.0",
        "--task-param", "masspole=0.05:0.5", "--curriculum", "cartpole",
        "--teacher-param", "fit_rate=5", "--eval-subset", "3", "--eval-max-steps", "50",
        "--run-dir", str(run_dir), "--no-progress", *extra,
    ]


def _tb_tags(run_dir) -> tuple[set[str], set[str]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: set[str] = set()
    hists: set[str] = set()
    for d in {p.parent for p in (run_dir / "tensorboard").rglob("events.out.tfevents.*")}:
        acc = EventAccumulator(str(d), size_guidance={"histograms": 0, "scalars": 0})
        acc.Reload()
        scalars |= set(acc.Tags()["scalars"])
        hists |= set(acc.Tags()["histograms"])
    return scalars, hists


def test_cartpole_with_a_task_space_trains_with_the_teacher(server, tmp_path, monkeypatch):
    zoo = tmp_path / "ppo.yml"
    zoo.write_text(ZOO)
    run_dir = tmp_path / "cp"
    monkeypatch.setenv("WANDB_MODE", "offline")  # W&B writes its run to disk only
    out = run_worker(_cmd(server, run_dir, "--hyperparams", str(zoo), "--task-in-obs",
                          "--wandb-project", "curriculum-test"))
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] >= 256 and summary["episodes"] > 0
    with TeacherClient(server) as client:
        (cur,) = client.list_curricula("cartpole")
        events = client.events(cur["id"])
    config = cur["config"]
    assert config["space"] == {"length": [0.2, 2.0], "masspole": [0.05, 0.5]}
    assert config["environment"] == {
        "id": "CartPole-v1", "task_params": "length,masspole", "task_mode": "attributes",
    }
    assert config["mastery_threshold"] == 475.0  # CartPole-v1's reward_threshold
    assert config["reward_bounds"] is None  # raw returns unless --reward-bounds
    results = [e for e in events if e["type"] == "result"]
    assert results and all(0.2 <= r["params"]["length"] <= 2.0 for r in results)
    evals = [e for e in events if e["type"] == "evaluation"]
    assert len(evals) == 3 and {e["test_set"] for e in evals} == {"uniform50"}
    # the RL Zoo file took effect: 2 envs, the network, VecNormalize, the task in obs
    model = PPO.load(run_dir / "checkpoints" / "model.zip", device="cpu")
    assert model.n_envs == 2 and model.n_steps == 32
    assert model.policy_kwargs["net_arch"] == [16, 16]
    assert model.policy_kwargs["activation_fn"].__name__ == "ReLU"
    assert model.observation_space.shape == (6,)  # 4 + the 2 task parameters
    assert np.isclose(model.learning_rate(1.0), 0.001)  # type: ignore[operator]
    assert (run_dir / "checkpoints" / "vecnormalize.pkl").exists()
    scalars, hists = _tb_tags(run_dir)
    assert {"curriculum/episodes", "curriculum/fits", "curriculum/phase",
            "eval/mastery_pct"} <= scalars
    assert any(t.startswith("rollout/") or t.startswith("train/") for t in scalars)
    assert {"tasks/length", "tasks/masspole"} <= hists
    # W&B (offline): a run under run_dir/wandb synced from the TensorBoard files
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    assert list(offline.glob("run-*.wandb"))


def test_bad_options_fail_before_anything_is_created(server, tmp_path):
    cases = [
        (["--algo-kwargs", "n_stepz=64"], "'n_stepz' is not one of PPO's"),
        (["--algo-kwargs", "policy_kwargs=__import__('os').getcwd()"],
         "policy_kwargs must be built from literals"),
        (["--task-param", "pole=0:1"], "CartPoleEnv has no attribute(s) ['pole']"),
        (["--reward-bounds", "5:1"], "--reward-bounds needs low < high"),
        (["--preset", "rlzoo-bipedalwalker-sac"], "is for --algo sac, got --algo ppo"),
    ]
    runner = CliRunner()
    for extra, fragment in cases:
        out = runner.invoke(app, _cmd(server, tmp_path / "bad", *extra)[3:])
        assert out.exit_code == 2, (extra, out.output[-2000:])
        assert fragment in out.output, (extra, out.output[-2000:])
    with TeacherClient(server) as client:
        assert client.list_curricula("cartpole") == []  # nothing was created


def test_an_env_that_is_not_ours_needs_a_task_space(server, tmp_path):
    out = CliRunner().invoke(app, ["student", "--server", server, "--env", "CartPole-v1",
                                   "--run-dir", str(tmp_path / "x"), "--no-progress"])
    assert out.exit_code == 2
    assert "give its task space with --task-param name=low:high" in out.output
