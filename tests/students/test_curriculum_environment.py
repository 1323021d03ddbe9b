"""A curriculum records the environment its workers train on; others cannot join it.

Real uvicorn server, real HTTP client; the workers are refused before any training.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import envs
from students import (
    InvalidConfigError,
    StudentConfig,
    TeacherClient,
    TeacherRequestError,
    run_student,
)

ENV = {"id": "StumpTracks-v1", "walker": "default"}


def _create(url: str, name: str, environment: dict[str, str] | None) -> dict:
    with TeacherClient(url) as client:
        return client.create_curriculum(
            name,
            teacher="random",
            space=envs.task_bounds("StumpTracks-v1"),
            environment=environment,
        )


def _worker(url: str, name: str, run_dir: Path, **kw: object) -> StudentConfig:
    return StudentConfig(
        server=url, curriculum=name, run_dir=run_dir, teacher="random", steps=32,
        eval_every=-1, progress=False, max_episode_steps=20,
        algo_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1}, **kw,  # type: ignore[arg-type]
    )


def test_the_server_stores_and_returns_the_environment(server: str) -> None:
    info = _create(server, "labelled", ENV)
    assert info["config"]["environment"] == ENV
    with TeacherClient(server) as client:
        assert client.get_curriculum(info["id"])["config"]["environment"] == ENV
        created = client.events(info["id"])[0]
    assert created["type"] == "created" and created["config"]["environment"] == ENV
    with pytest.raises(TeacherRequestError, match="differs in: environment"):
        _create(server, "labelled", {**ENV, "id": "HexagonTracks-v1"})


def test_a_worker_refuses_a_curriculum_without_a_recorded_environment(
    server: str, tmp_path: Path
) -> None:
    _create(server, "from-v0-days", None)
    with pytest.raises(InvalidConfigError, match="unrecorded environment.*StumpTracks-v1"):
        run_student(_worker(server, "from-v0-days", tmp_path))


def test_a_worker_refuses_a_curriculum_of_another_walker(server: str, tmp_path: Path) -> None:
    _create(server, "quadrupeds", {"id": "StumpTracks-v1", "walker": "quadruped"})
    with pytest.raises(
        InvalidConfigError, match="made for StumpTracks-v1 with walker 'quadruped'.*'default'"
    ):
        run_student(_worker(server, "quadrupeds", tmp_path))


def test_an_in_process_resume_refuses_a_log_without_the_environment(tmp_path: Path) -> None:
    cfg = dict(in_process=True, run_dir=tmp_path, teacher="random", steps=32, eval_every=-1,
               progress=False, max_episode_steps=20,
               algo_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1})
    run_student(StudentConfig(**cfg))  # type: ignore[arg-type]
    log = tmp_path / "events.jsonl"
    lines = log.read_text().splitlines()
    first = json.loads(lines[0])
    assert first["config"]["environment"] == ENV
    del first["config"]["environment"]
    log.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    with pytest.raises(InvalidConfigError, match="unrecorded environment"):
        run_student(StudentConfig(**{**cfg, "steps": 64, "resume": True}))  # type: ignore[arg-type]
