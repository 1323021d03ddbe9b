"""One student worker: an SB3 agent trained on tasks chosen by the teacher."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv, VecNormalize

from students.algos import build_model, check_algo_kwargs, paper_sac_kwargs, wrap_normalize
from students.client import TeacherClient
from students.config import StudentConfig
from students.envsetup import EnvSetup, resolve_env
from students.errors import InvalidConfigError, TeacherRequestError
from students.evaluation import MasteryEvalCallback
from students.progress import ProgressCallback
from students.scores import PositiveValueLossScores
from students.sources import HttpTaskSource, LocalTaskSource, TaskSource
from students.stopping import StopNow, StopOnSignal, signals_stop
from students.tracking import CurriculumTracker, start_wandb
from students.wrappers import CurriculumWrapper
from teacher import (
    Curriculum,
    CurriculumConfig,
    EvaluationIn,
    JsonlWriter,
    read_jsonl,
    teacher_class,
)

__all__ = ["run_student", "StudentSummary", "paper_sac_kwargs"]


@dataclass
class StudentSummary:
    curriculum_id: str
    steps: int
    episodes: int
    episodes_reported: int = 0
    mastery: list[tuple[int, float]] = field(default_factory=list)
    test_returns: list[tuple[int, float]] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str = "finished its steps"
    interrupted: bool = False
    checkpoint: str = ""
    run_dir: str = ""


class _Checkpoint(BaseCallback):
    def __init__(self, every: int, save: Callable[[], None]):
        super().__init__()
        self.every, self.save, self._last = every, save, 0

    def _on_step(self) -> bool:
        if self.every and self.num_timesteps - self._last >= self.every:
            self._last = self.num_timesteps
            self.save()
        return True


def _atomically(path: Path, write: Callable[[Path], Any]) -> None:
    """``write`` a temporary file beside ``path``, then rename it over ``path``: a worker
    killed while saving leaves the previous checkpoint, never a truncated one that
    ``--resume`` cannot read."""
    partial = path.with_name(f"{path.stem}.partial{path.suffix}")
    write(partial)
    os.replace(partial, path)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _curriculum_config(cfg: StudentConfig, setup: EnvSetup) -> dict[str, Any]:
    rb = setup.reward_bounds
    return {
        "teacher": cfg.teacher,
        "space": {k: list(v) for k, v in setup.bounds.items()},
        "teacher_params": dict(cfg.teacher_params),
        "reward_bounds": None if rb is None else [float(rb[0]), float(rb[1])],
        "mastery_threshold": setup.mastery_threshold,
        "seed": cfg.teacher_seed,
        "environment": setup.environment(),
    }


def _describe(env: dict[str, str]) -> str:
    if "walker" in env:
        return f"{env['id']} with walker {env.get('walker')!r}"
    return f"{env['id']} with task parameters {env.get('task_params')!r}"


def _check_environment(name: str, recorded: Any, setup: EnvSetup) -> None:
    """Refuse a curriculum made for another environment id, version or walker."""
    ours = setup.environment()
    if recorded != ours:
        made_for = (
            _describe(recorded) if isinstance(recorded, dict) and "id" in recorded
            else "an unrecorded environment (made before curricula recorded theirs, "
            "e.g. for StumpTracks-v0)"
        )
        raise InvalidConfigError(
            f"curriculum {name!r} was made for {made_for}; this worker trains on "
            f"{_describe(ours)}. Tasks mean different tracks "
            f"there: use another --curriculum name, or the matching --env and --walker"
        )


def _make_env_fn(setup: EnvSetup, source_factory: Callable[[], TaskSource]):
    def make() -> gym.Env:
        if multiprocessing.parent_process() is not None:
            # A SubprocVecEnv child: a terminal's Ctrl-C reaches the whole process group;
            # the parent alone decides how to stop, and closes its children.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return Monitor(setup.observe_task(CurriculumWrapper(setup.make_base(), source_factory)))

    return make


class _Backend(Protocol):
    """Where the worker's curriculum lives: the teacher server (:class:`_Remote`) or this
    process (:class:`_InProcess`). Both answer the same questions in the same shapes."""

    curriculum_id: str
    factory_for: Callable[[int], Callable[[], TaskSource]]  # rank -> task source factory

    def report_evaluations(self, items: list[dict[str, Any]]) -> None: ...

    def report_scores(self, items: list[dict[str, Any]]) -> None:
        """Late per-episode scores ``[{"task_id", "score"}, ...]`` of reported tasks."""
        ...

    def status(self) -> dict[str, Any]:
        """``{"counts": {"tasks", "results", ...}, "latest_mastery_pct": float | None}``."""
        ...

    def close(self) -> None: ...


def _status(counts: dict[str, Any], latest_mastery_pct: float | None) -> dict[str, Any]:
    """The one shape of :meth:`_Backend.status`."""
    return {"counts": dict(counts), "latest_mastery_pct": latest_mastery_pct}


class _Remote:
    """Task sources and evaluation reports through the teacher server."""

    def __init__(self, cfg: StudentConfig, setup: EnvSetup):
        self.client = TeacherClient(cfg.server or "", token=cfg.token)
        name = cfg.curriculum or ""
        try:
            try:
                info = self.client.create_curriculum(name, **_curriculum_config(cfg, setup))
            except TeacherRequestError as exc:
                if exc.status == 409:  # same name, other configuration: the environment?
                    for existing in self.client.list_curricula(name):
                        _check_environment(name, existing["config"].get("environment"),
                                           setup)
                raise
            _check_environment(name, info["config"].get("environment"), setup)
        except Exception:
            self.client.close()
            raise
        self.curriculum_id = str(info["id"])
        url, token, cid = cfg.server or "", cfg.token, self.curriculum_id
        self.factory_for: Callable[[int], Callable[[], TaskSource]] = lambda rank: (
            HttpTaskSource.factory(url, cid, token=token, worker=f"{cfg.worker}/{rank}")
        )

    def report_evaluations(self, items: list[dict[str, Any]]) -> None:
        self.client.report_evaluations(self.curriculum_id, items)

    def report_scores(self, items: list[dict[str, Any]]) -> None:
        self.client.report_scores(self.curriculum_id, items)

    def status(self) -> dict[str, Any]:
        info = self.client.get_curriculum(self.curriculum_id)
        return _status(info["counts"], info.get("latest_mastery_pct"))

    def close(self) -> None:
        self.client.close()


class _InProcess:
    """An in-process curriculum (single process), logged to run_dir/events.jsonl.

    A new run starts a new log; ``resume`` rebuilds the curriculum from the log (exact
    replay) and appends to it."""

    def __init__(self, cfg: StudentConfig, setup: EnvSetup):
        c = _curriculum_config(cfg, setup)
        # the same fields the remote backend sends; a new configuration (no version yet)
        config = CurriculumConfig.from_json(
            {"name": cfg.curriculum or "", **c, "params_version": None}
        )
        log = cfg.run_dir / "events.jsonl"
        if cfg.resume and log.exists():
            self.curriculum = Curriculum.from_events(read_jsonl(log), fit_mode="sync")
            _check_environment(config.name, self.curriculum.config.environment, setup)
            if self.curriculum.config != config.resolved():
                raise InvalidConfigError(
                    f"--resume: {log} holds curriculum {self.curriculum.config.to_json()}, "
                    f"this run asks for {config.to_json()}"
                )
        else:
            log.unlink(missing_ok=True)
            self.curriculum = Curriculum(config, fit_mode="sync")
        self.curriculum_id = config.name
        self.source = LocalTaskSource(
            self.curriculum, writer=JsonlWriter(cfg.run_dir / "events.jsonl"),
            worker=cfg.worker,
        )
        self.factory_for: Callable[[int], Callable[[], TaskSource]] = (
            lambda rank: (lambda: self.source)
        )
        self._closed = False

    def report_evaluations(self, items: list[dict[str, Any]]) -> None:
        evs = self.curriculum.record_evaluations([
            EvaluationIn(i["params"], i["return"], i.get("test_set"), i.get("step"),
                         i.get("worker"))
            for i in items
        ])
        self.source.write_events(list(evs))

    def report_scores(self, items: list[dict[str, Any]]) -> None:
        self.source.report_scores([(i["task_id"], i["score"]) for i in items])

    def status(self) -> dict[str, Any]:
        return _status(self.curriculum.counts(), self.curriculum.latest_mastery())

    def close(self) -> None:
        if not self._closed:
            self.source.close()
            self._closed = True


def _say_rollout(cfg: StudentConfig, model: Any, start: int) -> None:
    """On-policy algorithms collect whole rollouts: say how far past --steps it goes."""
    n_steps = getattr(model, "n_steps", None)
    if cfg.algo != "ppo" or not isinstance(n_steps, int):
        return
    chunk = n_steps * cfg.n_envs
    remaining = max(0, cfg.steps - start)
    actual = start + -(-remaining // chunk) * chunk
    if actual != cfg.steps:
        _say(f"note: PPO collects whole rollouts of {chunk} steps ({n_steps} x "
             f"{cfg.n_envs} envs), so --steps {cfg.steps} trains to step {actual}")


def run_student(cfg: StudentConfig) -> StudentSummary:
    """Train one worker as configured; returns what happened. SIGINT/SIGTERM stop it
    cleanly: a checkpoint is saved and queued reports are flushed (a signal that comes
    while the worker is still setting up stops it at its first training step)."""
    stop = StopOnSignal(cfg.max_seconds)
    on_first: list[Callable[[], None]] = []  # what the first signal also does

    def first() -> None:
        for f in on_first:
            f()

    with signals_stop(stop, on_first=first):
        return _run(cfg, stop, on_first)


def _run(
    cfg: StudentConfig, stop: StopOnSignal, on_first: list[Callable[[], None]]
) -> StudentSummary:
    cfg.validate()
    setup = resolve_env(cfg)
    check_algo_kwargs(cfg.algo, cfg.algo_kwargs)  # before anything is created or sent
    torch.set_num_threads(cfg.torch_threads)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    backend: _Backend = (
        _InProcess(cfg, setup) if cfg.in_process else _Remote(cfg, setup)
    )
    (cfg.run_dir / "curriculum.json").write_text(
        json.dumps({"curriculum_id": backend.curriculum_id, "server": cfg.server}) + "\n"
    )
    fns = [_make_env_fn(setup, backend.factory_for(r)) for r in range(cfg.n_envs)]
    vec: VecEnv = (
        DummyVecEnv(fns) if cfg.n_envs == 1 or cfg.in_process
        else SubprocVecEnv(fns, start_method="forkserver")
    )
    vec.seed(cfg.seed)
    checkpoint = cfg.run_dir / "checkpoints" / "model.zip"
    vec = wrap_normalize(cfg, vec, checkpoint)
    run = None
    if cfg.wandb_project:
        run = start_wandb(cfg.wandb_project, cfg.run_dir, cfg.worker, {
            "algo": cfg.algo, "env": cfg.env_id, "curriculum": backend.curriculum_id,
            "teacher": cfg.teacher, "seed": cfg.seed, "n_envs": cfg.n_envs,
        })
    model = build_model(cfg, vec, checkpoint)
    start_steps = int(model.num_timesteps)
    _say_rollout(cfg, model, start_steps)

    def save() -> None:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        _atomically(checkpoint, model.save)
        if isinstance(vec, VecNormalize):
            _atomically(checkpoint.with_name("vecnormalize.pkl"), lambda p: vec.save(str(p)))
        if hasattr(model, "save_replay_buffer"):
            _atomically(checkpoint.with_name("replay_buffer.pkl"), model.save_replay_buffer)

    callbacks: list[BaseCallback] = [stop, _Checkpoint(cfg.checkpoint_every, save)]
    evaluator = None
    if cfg.eval_every >= 0 and setup.mastery_threshold is not None:
        tasks = setup.test_tasks()
        if cfg.eval_subset is not None:
            tasks = tasks[: cfg.eval_subset]
        evaluator = MasteryEvalCallback(
            setup.eval_env_factory(), tasks, setup.names, setup.mastery_threshold,
            eval_every=cfg.eval_every or 10**15, test_set=setup.eval_set,
            max_steps=cfg.eval_max_steps, report=backend.report_evaluations,
            worker=cfg.worker, verbose=0 if cfg.progress else 1,
            obs_transform=vec.normalize_obs if isinstance(vec, VecNormalize) else None,
        )
        callbacks.append(evaluator)
    # PLR's score, for a teacher that uses it; SAC and TD3 have no advantages to send.
    if cfg.algo == "ppo" and teacher_class(cfg.teacher).uses_scores:
        callbacks.append(PositiveValueLossScores(backend.report_scores))
    if cfg.tensorboard:
        callbacks.append(CurriculumTracker(backend.status, setup.names))
    progress = ProgressCallback(cfg.steps, start_steps, backend.status, enabled=cfg.progress,
                                evaluator=evaluator, line_seconds=cfg.progress_every)
    callbacks.append(progress)

    def skip_final() -> None:
        if evaluator is not None:
            evaluator.skip_final = True

    started = time.monotonic()
    interrupted, saved = False, False
    on_first.append(skip_final)
    try:
        remaining = max(0, cfg.steps - start_steps)
        if remaining:
            model.learn(remaining, callback=CallbackList(callbacks),
                        reset_num_timesteps=not cfg.resume)
        save()
        saved = True
    except StopNow:
        interrupted = True
    finally:
        progress.close()
        if stop.requested:
            _say("flushing queued reports to the teacher...")
        reported = sum(int(n) for n in vec.get_attr("episodes_reported"))
        vec.close()  # closes the wrappers: queued reports are flushed
        if evaluator is not None:
            evaluator.close()
        try:
            status = backend.status()
        except Exception as exc:  # noqa: BLE001 - the summary must still be written
            _say(f"could not read the curriculum's counts: {exc}")
            status = {}
        backend.close()
        if run is not None:
            run.finish()
    episodes = int(status.get("counts", {}).get("results", 0))
    summary = StudentSummary(
        curriculum_id=backend.curriculum_id, steps=int(model.num_timesteps),
        episodes=episodes, episodes_reported=reported,
        mastery=list(evaluator.history) if evaluator else [],
        test_returns=list(evaluator.mean_returns) if evaluator else [],
        stopped_early=stop.requested, stop_reason=stop.reason or "finished its steps",
        interrupted=interrupted, checkpoint=str(checkpoint) if saved else "",
        run_dir=str(cfg.run_dir),
    )
    (cfg.run_dir / "summary.json").write_text(json.dumps({
        **summary.__dict__, "wall_seconds": time.monotonic() - started,
    }, indent=2) + "\n")
    return summary
