"""The in-process worker (no server): exact resume from its own event log."""

import json

import pytest

from students import InvalidConfigError, StudentConfig, run_student
from teacher import read_jsonl


def _cfg(run_dir, steps, **kw):
    kw.setdefault("teacher_params", {"fit_rate": 4})
    return StudentConfig(
        in_process=True, run_dir=run_dir, steps=steps, algo="ppo", max_episode_steps=20,
        eval_every=-1, progress=False,
        algo_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1}, **kw,
    )


def test_resume_replays_the_log_and_appends(tmp_path):
    first = run_student(_cfg(tmp_path, 96))
    second = run_student(_cfg(tmp_path, 192, resume=True))
    assert (first.steps, second.steps) == (96, 192)
    events = read_jsonl(tmp_path / "events.jsonl")  # one 'created', seq without gaps
    results = [e for e in events if e.type == "result"]
    assert len(results) == first.episodes_reported + second.episodes_reported
    assert len({e.task_id for e in results}) == len(results)
    assert sum(e.type == "fit" for e in events) >= 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 192
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_no_tensorboard_writes_no_event_files(tmp_path):
    run_student(_cfg(tmp_path, 32, tensorboard=False))
    assert not (tmp_path / "tensorboard").exists()


def test_resume_refuses_another_configuration(tmp_path):
    run_student(_cfg(tmp_path, 32))
    with pytest.raises(InvalidConfigError, match="--resume"):
        run_student(_cfg(tmp_path, 64, resume=True, teacher_seed=5))


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("algo", "dqn", "--algo must be one of"),
        ("steps", 0, "--steps must be an integer >= 1"),
        ("eval_subset", 0, "--eval-subset must be a positive integer"),
        ("max_seconds", -1.0, "--max-seconds must be a positive number"),
    ],
)
def test_bad_configuration_names_the_option(tmp_path, field, value, fragment):
    cfg = _cfg(tmp_path, 32)
    setattr(cfg, field, value)
    with pytest.raises(InvalidConfigError, match=fragment):
        run_student(cfg)
    assert not (tmp_path / "events.jsonl").exists()


def test_goal_gan_in_process_fits_its_networks_and_resumes_exactly(tmp_path):
    """`curriculum student --teacher goal-gan` (the [neural] extra): the GAN fits run
    inline, their weights are logged, and a resumed run replays them."""
    pytest.importorskip("torch")
    params = {"update_size": 2, "goid_lb": 0.0, "goid_ub": 1.0, "generator_layers": [8],
              "discriminator_layers": [8], "gan_iterations": 5, "pretrain_iterations": 5}
    first = run_student(_cfg(tmp_path, 96, teacher="goal-gan", teacher_params=params))
    second = run_student(_cfg(tmp_path, 160, resume=True, teacher="goal-gan",
                              teacher_params=params))
    assert (first.steps, second.steps) == (96, 160)
    events = read_jsonl(tmp_path / "events.jsonl")
    fits = [e for e in events if e.type == "fit"]
    assert len(fits) >= 2 and all(e.fit.kind == "goal-gan" for e in fits)
    assert {e.origin for e in events if e.type == "task"} >= {"gan", "repeat"}
