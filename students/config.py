"""Typed configuration of a student worker (the CLI fills it; nothing reads os.environ)."""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from students.errors import InvalidConfigError

__all__ = ["StudentConfig", "ALGOS"]

ALGOS = ("ppo", "sac", "td3")


@dataclass
class StudentConfig:
    """Everything one worker needs.

    server: teacher server URL, or None with ``in_process=True`` (an in-process teacher,
        single process only). curriculum: curriculum name to join or create (default:
        the run directory's name). teacher_seed: the curriculum's teacher seed (part of
        its configuration), independent of the worker's ``seed``.
    steps: environment steps to train (total, across ``n_envs`` environments).
    eval_every: steps between mastery evaluations (0: only at the end; -1: never).
    eval_subset / eval_max_steps: evaluate on the first N test tasks / cap each test
        episode (quick runs); None means the whole set / the environment's own cap.
    checkpoint_every: steps between checkpoints (0: only at the end / on stop).
    max_episode_steps: training episode cap (default: the environment's, 2000).
    max_seconds: stop cleanly (checkpoint, flush) after this much training wall time.
    task_params / task_mode: the task space of an environment that is not one of ours
        (name -> (low, high)) and how a task is applied (``attributes`` or ``kwargs``,
        see ``students.taskenv``). mastery_threshold / reward_bounds / eval_set: None
        means the environment's defaults (``students.envsetup``).
    task_in_obs: append the normalised task to the observation.
    tensorboard: write TensorBoard event files under ``run_dir/tensorboard``.
    wandb_project: also log to Weights & Biases (the ``wandb`` extra).
    normalize / action_noise: VecNormalize options (None: off) and (type, std) of the
        action noise, from RL Zoo hyper-parameters.
    torch_threads: PyTorch intra-op threads; 1 is fastest for SB3's small MLPs on CPU
        (measured: PPO 16x faster than the default on a busy 2-core machine).
    """

    server: str | None = None
    curriculum: str | None = None
    teacher: str = "alp-gmm"
    teacher_seed: int = 0
    teacher_params: dict[str, Any] = field(default_factory=dict)
    env_id: str = "StumpTracks-v1"
    walker: str = "default"
    algo: str = "ppo"
    steps: int = 100_000
    n_envs: int = 1
    seed: int = 0
    run_dir: Path = Path("runs/student")
    eval_every: int = 0
    eval_set: str | None = None
    eval_subset: int | None = None
    eval_max_steps: int | None = None
    checkpoint_every: int = 0
    token: str | None = None
    resume: bool = False
    max_episode_steps: int | None = None
    reward_bounds: tuple[float, float] | None = None
    worker: str | None = None
    in_process: bool = False
    progress: bool = True
    torch_threads: int = 1
    max_seconds: float | None = None
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    task_params: dict[str, tuple[float, float]] = field(default_factory=dict)
    task_mode: str = "attributes"
    mastery_threshold: float | None = None
    task_in_obs: bool = False
    tensorboard: bool = True
    wandb_project: str | None = None
    normalize: dict[str, Any] | None = None
    action_noise: tuple[str, float] | None = None

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        if self.worker is None:
            self.worker = f"{socket.gethostname()}-{os.getpid()}"
        if self.curriculum is None:
            self.curriculum = self.run_dir.resolve().name

    def validate(self) -> None:
        """Raise InvalidConfigError naming the first bad option."""
        def bad(name: str, expected: str, got: Any) -> None:
            raise InvalidConfigError(f"--{name.replace('_', '-')} must be {expected}, got {got!r}")

        if self.algo not in ALGOS:
            bad("algo", f"one of {list(ALGOS)}", self.algo)
        for name, low in (("steps", 1), ("n_envs", 1), ("seed", 0), ("teacher_seed", 0),
                          ("checkpoint_every", 0), ("eval_every", -1), ("torch_threads", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                bad(name, f"an integer >= {low}", v)
        for name in ("eval_subset", "eval_max_steps", "max_episode_steps"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                bad(name, "a positive integer", v)
        if self.server is None and not self.in_process:
            bad("server", "a URL (or use --local)", None)
        if self.server is not None and not self.server.startswith(("http://", "https://")):
            bad("server", "an http:// or https:// URL", self.server)
        if self.max_seconds is not None and not self.max_seconds > 0:
            bad("max_seconds", "a positive number", self.max_seconds)
        if not self.curriculum:
            bad("curriculum", "a non-empty name", self.curriculum)
        if self.task_mode not in ("attributes", "kwargs"):
            bad("task_mode", "'attributes' or 'kwargs'", self.task_mode)
        rb = self.reward_bounds
        if rb is not None and not (len(rb) == 2 and float(rb[0]) < float(rb[1])):
            bad("reward_bounds", "low:high with low < high", rb)
        if self.mastery_threshold is not None and not math.isfinite(self.mastery_threshold):
            bad("mastery_threshold", "a finite number", self.mastery_threshold)
        if self.wandb_project is not None and not self.wandb_project.strip():
            bad("wandb_project", "a non-empty name", self.wandb_project)
