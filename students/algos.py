"""Building the SB3 model of a worker from its configuration and hyper-parameters."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3 import PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from students.config import StudentConfig
from students.errors import InvalidConfigError
from students.hyperparams import TorchRef

__all__ = [
    "ALGO_CLASSES", "build_model", "check_algo_kwargs", "paper_sac_kwargs", "wrap_normalize",
]

ALGO_CLASSES: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "sac": SAC, "td3": TD3}
# set by the worker itself, never by hyper-parameters
_RESERVED = ("self", "policy", "env", "seed", "device", "verbose", "tensorboard_log",
             "_init_setup_model")


def paper_sac_kwargs() -> dict[str, Any]:
    """The paper's SAC settings (ALGORITHMS.md §5), for long runs on big machines."""
    return {
        "learning_rate": 1e-3, "ent_coef": 0.005, "gamma": 0.99, "batch_size": 1000,
        "buffer_size": 2_000_000, "learning_starts": 10_000,
        "policy_kwargs": {"net_arch": [400, 300]},
    }


def _resolve(value: Any) -> Any:
    """TorchRef -> the torch class; recursively in dicts, lists and tuples."""
    if isinstance(value, TorchRef):
        module, _, name = value.path.rpartition(".")
        return getattr(importlib.import_module(module), name)
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_resolve(v) for v in value)
    return value


def check_algo_kwargs(algo: str, kwargs: dict[str, Any]) -> None:
    """Every key must be a constructor argument of the algorithm (named if not)."""
    cls = ALGO_CLASSES[algo]
    valid = sorted(set(inspect.signature(cls.__init__).parameters) - set(_RESERVED))
    for key in kwargs:
        if key not in valid:
            raise InvalidConfigError(
                f"hyper-parameter {key!r} is not one of {cls.__name__}'s: {', '.join(valid)}"
            )


def wrap_normalize(cfg: StudentConfig, vec: VecEnv, checkpoint: Path) -> VecEnv:
    """VecNormalize as the hyper-parameters ask (``normalize``), restored on resume."""
    if cfg.normalize is None:
        return vec
    stats = checkpoint.with_name("vecnormalize.pkl")
    if cfg.resume and stats.exists():
        return VecNormalize.load(str(stats), vec)
    opts = dict(cfg.normalize)
    opts.setdefault("gamma", float(cfg.algo_kwargs.get("gamma", 0.99)))
    return VecNormalize(vec, **opts)


def build_model(cfg: StudentConfig, vec: VecEnv, checkpoint: Path) -> BaseAlgorithm:
    cls = ALGO_CLASSES[cfg.algo]
    tb = str(cfg.run_dir / "tensorboard") if cfg.tensorboard else None
    if cfg.resume and checkpoint.exists():
        model = cls.load(checkpoint, env=vec, device="cpu", tensorboard_log=tb)
        buffer = checkpoint.with_name("replay_buffer.pkl")
        if buffer.exists() and hasattr(model, "load_replay_buffer"):
            model.load_replay_buffer(buffer)
        return model
    check_algo_kwargs(cfg.algo, cfg.algo_kwargs)
    kwargs: dict[str, Any] = _resolve(dict(cfg.algo_kwargs))
    n = vec.action_space.shape[0] if vec.action_space.shape else 0
    if cfg.action_noise is not None and "action_noise" not in kwargs:
        kind, std = cfg.action_noise
        noise_cls = NormalActionNoise if kind == "normal" else OrnsteinUhlenbeckActionNoise
        kwargs["action_noise"] = noise_cls(np.zeros(n), std * np.ones(n))
    elif cfg.algo == "td3" and "action_noise" not in kwargs:
        kwargs["action_noise"] = NormalActionNoise(np.zeros(n), 0.1 * np.ones(n))
    try:
        return cls("MlpPolicy", vec, seed=cfg.seed, device="cpu", verbose=0,
                   tensorboard_log=tb, **kwargs)
    except (TypeError, ValueError, AssertionError) as exc:
        raise InvalidConfigError(f"{cls.__name__} rejected the hyper-parameters: {exc}") from None
