"""SB3 hyper-parameters from RL Zoo YAML files, ``key=value`` options and presets.

RL Zoo's files hold a few Python expressions as strings; they are parsed here with
:mod:`ast` (never ``eval``), and anything outside the supported forms is rejected with
the key named:

- scalars (numbers, ``!!float 3e-4``, booleans, strings, null) and lists;
- ``lin_<x>``: a linear schedule from x down to 0 (any float hyper-parameter, e.g.
  ``learning_rate``, ``clip_range``);
- ``policy_kwargs`` (and ``replay_buffer_kwargs``): ``dict(...)``/``{...}`` of literals,
  lists, nested dicts, and the names ``nn.<Activation>`` (``th.nn.``/``torch.nn.``) and
  ``th.optim.<Optimizer>``;
- ``normalize``: true/false or a dict of VecNormalize options
  (``"{'norm_obs': True, 'norm_reward': False}"``);
- ``n_envs`` and ``n_timesteps`` (used unless ``--n-envs`` / ``--steps`` are given),
  ``policy`` (``MlpPolicy`` only), ``noise_type`` (``normal``, ``ornstein-uhlenbeck``)
  with ``noise_std``, ``train_freq`` as a number or ``[n, "episode"|"step"]``.

Keys that change the environment stack (``env_wrapper``, ``frame_stack``, ``callback``,
...) are refused by name. Every other key is passed to the algorithm's constructor,
which checks the name (see ``students.worker``). Imports PyYAML only.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from students.errors import InvalidConfigError

__all__ = [
    "Hyperparams", "LinearSchedule", "TorchRef", "PRESETS", "parse_hyperparams",
    "load_hyperparams_file", "parse_algo_kwargs", "preset",
]

ACTIVATIONS = ("ReLU", "Tanh", "ELU", "LeakyReLU", "SiLU", "GELU", "Sigmoid", "Softplus")
OPTIMIZERS = ("Adam", "AdamW", "RMSprop", "SGD")
UNSUPPORTED = (
    "env_wrapper", "frame_stack", "callback", "vec_env_wrapper", "env_kwargs",
    "eval_env_kwargs", "monitor_kwargs", "replay_buffer_class", "normalize_kwargs",
    "policy_delay_steps", "n_envs_eval",
)
NORMALIZE_KEYS = ("norm_obs", "norm_reward", "clip_obs", "clip_reward", "gamma", "epsilon")
NOISE_TYPES = ("normal", "ornstein-uhlenbeck")


@dataclass(frozen=True)
class LinearSchedule:
    """SB3 schedule: ``initial`` at the start of training, falling linearly to 0."""

    initial: float

    def __call__(self, progress_remaining: float) -> float:
        return progress_remaining * self.initial


@dataclass(frozen=True)
class TorchRef:
    """A torch class named in a YAML expression, e.g. ``torch.nn.ReLU`` (resolved by the
    worker, so this module does not import torch)."""

    path: str


@dataclass
class Hyperparams:
    """What a hyper-parameter source asks for: constructor arguments of the algorithm,
    and the few options that act outside it."""

    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    n_envs: int | None = None
    n_timesteps: int | None = None
    normalize: dict[str, Any] | None = None  # VecNormalize options; None: off
    noise: tuple[str, float] | None = None  # (type, std) of TD3/SAC action noise

    def update(self, other: Hyperparams) -> None:
        """Overlay ``other`` (the later source wins key by key)."""
        self.algo_kwargs.update(other.algo_kwargs)
        for name in ("n_envs", "n_timesteps", "normalize", "noise"):
            if getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))


def _bad(where: str, key: str, expected: str, got: Any) -> InvalidConfigError:
    return InvalidConfigError(f"{where}: {key} must be {expected}, got {got!r}")


def _expr(node: ast.AST, where: str, key: str) -> Any:
    """A literal value, or a dict(...) call, or an allowed torch name."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(
            node.value, bool | int | float | str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _expr(node.operand, where, key)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _bad(where, key, "a number after a sign", ast.unparse(node))
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.List | ast.Tuple):
        items = [_expr(e, where, key) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                raise _bad(where, key, "a dict with string keys", ast.unparse(node))
            out[k.value] = _expr(v, where, key)
        return out
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id == "dict") or node.args:
            raise _bad(where, key, "built from literals and dict(name=value, ...) only "
                       "(no other calls)", ast.unparse(node))
        return {kw.arg: _expr(kw.value, where, key) for kw in node.keywords if kw.arg}
    if isinstance(node, ast.Name | ast.Attribute):
        dotted = ast.unparse(node)
        parts = dotted.split(".")
        head, name = ".".join(parts[:-1]), parts[-1]
        if head in ("nn", "th.nn", "torch.nn") and name in ACTIVATIONS:
            return TorchRef(f"torch.nn.{name}")
        if head in ("optim", "th.optim", "torch.optim") and name in OPTIMIZERS:
            return TorchRef(f"torch.optim.{name}")
        raise _bad(where, key, f"a literal or one of nn.{{{','.join(ACTIVATIONS)}}}, "
                   f"th.optim.{{{','.join(OPTIMIZERS)}}}", dotted)
    raise _bad(where, key, "a literal expression", ast.unparse(node))


def parse_expression(text: str, where: str, key: str) -> Any:
    """Parse an RL Zoo expression string without evaluating it."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _bad(where, key, f"a Python literal expression ({exc.msg})", text) from None
    return _expr(tree.body, where, key)


def _value(where: str, key: str, v: Any) -> Any:
    if isinstance(v, str) and v.startswith("lin_"):
        try:
            x = float(v[4:])
        except ValueError:
            raise _bad(where, key, "lin_<number>", v) from None
        return LinearSchedule(x)
    if isinstance(v, float) and not math.isfinite(v):
        raise _bad(where, key, "a finite number", v)
    if isinstance(v, list):
        return [_value(where, key, x) for x in v]
    return v


def parse_hyperparams(raw: Mapping[str, Any], where: str) -> Hyperparams:
    """Turn one RL Zoo section (or ``--algo-kwargs`` pairs) into :class:`Hyperparams`.
    ``where`` names the source in error messages (a file, ``--algo-kwargs``, a preset)."""
    hp = Hyperparams()
    for key, v in raw.items():
        key = str(key)
        if key in UNSUPPORTED:
            raise InvalidConfigError(
                f"{where}: {key} is not supported (it changes the environment stack); "
                f"remove it. Unsupported keys: {', '.join(UNSUPPORTED)}"
            )
        if key == "policy":
            if v != "MlpPolicy":
                raise _bad(where, key, "'MlpPolicy' (flat observations)", v)
        elif key in ("n_envs", "n_timesteps"):
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 1 or v != int(v):
                raise _bad(where, key, "a positive whole number", v)
            setattr(hp, key, int(v))
        elif key == "normalize":
            if isinstance(v, str):
                v = parse_expression(v, where, key)
            if isinstance(v, bool):
                hp.normalize = {} if v else None
            elif isinstance(v, dict) and set(v) <= set(NORMALIZE_KEYS):
                hp.normalize = dict(v)
            else:
                raise _bad(where, key, f"true/false or a dict of {list(NORMALIZE_KEYS)}", v)
        elif key == "noise_type":
            if v not in NOISE_TYPES:
                raise _bad(where, key, f"one of {list(NOISE_TYPES)}", v)
            hp.noise = (str(v), hp.noise[1] if hp.noise else 0.1)
        elif key == "noise_std":
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise _bad(where, key, "a positive number", v)
            hp.noise = (hp.noise[0] if hp.noise else "normal", float(v))
        elif key in ("policy_kwargs", "replay_buffer_kwargs"):
            parsed = parse_expression(v, where, key) if isinstance(v, str) else v
            if not isinstance(parsed, dict):
                raise _bad(where, key, "dict(...)", v)
            hp.algo_kwargs[key] = parsed
        elif key == "train_freq" and isinstance(v, list):
            if len(v) != 2 or not isinstance(v[0], int) or v[1] not in ("step", "episode"):
                raise _bad(where, key, 'n or [n, "step"|"episode"]', v)
            hp.algo_kwargs[key] = (v[0], v[1])
        else:
            hp.algo_kwargs[key] = _value(where, key, v)
    return hp


def load_hyperparams_file(path: str | Path, env_id: str) -> Hyperparams:
    """An RL Zoo YAML file: the section named ``env_id``, or the whole file when it is a
    flat mapping of hyper-parameters."""
    import yaml

    p = Path(path)
    where = f"--hyperparams {p}"
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidConfigError(f"{where}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InvalidConfigError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise InvalidConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    if isinstance(data.get(env_id), dict):
        return parse_hyperparams(data[env_id], f"{where} [{env_id}]")
    if all(isinstance(v, dict) for v in data.values()):
        raise InvalidConfigError(
            f"{where}: no section for {env_id!r} (sections: {', '.join(map(str, data))})"
        )
    return parse_hyperparams(data, where)


def parse_algo_kwargs(items: list[str] | None) -> Hyperparams:
    """``key=value`` pairs; values are YAML scalars (``lin_3e-4``, ``[64, 64]``,
    ``"dict(net_arch=[64, 64])"``), parsed like the file's."""
    import yaml

    raw: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InvalidConfigError(f"--algo-kwargs must look like key=value, got {item!r}")
        try:
            raw[key.strip()] = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raw[key.strip()] = text
    return parse_hyperparams(raw, "--algo-kwargs")


# RL Zoo's tuned hyper-parameters for BipedalWalker-v3 (hyperparams/ppo.yml, sac.yml).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "rlzoo-bipedalwalker-ppo": ("ppo", {
        "normalize": True, "n_envs": 32, "n_timesteps": 5_000_000, "policy": "MlpPolicy",
        "n_steps": 2048, "batch_size": 64, "gae_lambda": 0.95, "gamma": 0.999,
        "n_epochs": 10, "ent_coef": 0.0, "learning_rate": 3e-4, "clip_range": 0.18,
    }),
    "rlzoo-bipedalwalker-sac": ("sac", {
        "n_timesteps": 500_000, "policy": "MlpPolicy", "learning_rate": 7.3e-4,
        "buffer_size": 300_000, "batch_size": 256, "ent_coef": "auto", "gamma": 0.98,
        "tau": 0.02, "train_freq": 64, "gradient_steps": 64, "learning_starts": 10_000,
        "use_sde": True, "policy_kwargs": "dict(log_std_init=-3, net_arch=[400, 300])",
    }),
}


def preset(name: str, algo: str) -> Hyperparams:
    """A named preset; it must be for ``algo``."""
    if name not in PRESETS:
        raise InvalidConfigError(f"--preset must be one of {sorted(PRESETS)}, got {name!r}")
    for_algo, raw = PRESETS[name]
    if for_algo != algo:
        raise InvalidConfigError(f"--preset {name} is for --algo {for_algo}, got --algo {algo}")
    return parse_hyperparams(raw, f"--preset {name}")
