"""What the neural teachers (GoalGAN, Setter-Solver) share: lazy PyTorch, seeded fits,
weights out of and into torch modules, and a numpy forward pass that samples from them.

PyTorch is optional (the ``[neural]`` extra): nothing here imports it at module level, and
:func:`import_torch` turns its absence into a :class:`TeacherError` naming the extra.

Training runs in torch (float32, single-threaded, seeded by the fit number); sampling never
does. A fit's weights are logged as float64 arrays and tasks are drawn from them by
:func:`mlp_forward`, which uses only correctly rounded IEEE-754 operations (+, -, *, /,
ldexp, frexp, rint, copysign) in an order fixed by the code: no BLAS (its summation order depends
on the kernel the CPU selects) and no libm or SIMD transcendental (numpy may dispatch
``np.tanh``/``np.exp`` to vendor code that differs in the last bit between machines). So
a replay of logged weights gives bit-identical tasks on any machine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from teacher.errors import StateMismatchError, TeacherError

__all__ = ["import_torch", "require_torch", "seeded", "export_weights", "load_weights",
           "mlp_forward", "exact_exp", "exact_log", "exact_tanh", "exact_sigmoid", "ACTIVATIONS"]

#: Activation names :func:`mlp_forward` accepts (plus ``"leaky_relu:<slope>"``).
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "identity")


def _needs_torch(teacher_name: str) -> TeacherError:
    return TeacherError(
        f"teacher {teacher_name!r} needs PyTorch: pip install 'curriculum-teacher[neural]'")


def import_torch(teacher_name: str) -> Any:
    """The ``torch`` module, imported now; TeacherError naming the extra if it is absent."""
    try:
        import torch
    except ImportError:
        raise _needs_torch(teacher_name) from None
    return torch


def require_torch(teacher_name: str) -> None:
    """TeacherError naming the extra unless torch can be imported, without importing it:
    a teacher checks this when it is made (a server's request), and only its fits (the
    server's worker processes) pay the seconds torch takes to import."""
    try:
        found = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise _needs_torch(teacher_name)


@contextmanager
def seeded(seed: int, *, teacher_name: str = "neural") -> Iterator[np.random.Generator]:
    """Make the fit inside the block deterministic: torch's CPU generator seeded with
    ``seed`` (the caller's torch random state is restored afterwards), one intra-op
    thread, deterministic algorithms. Yields a numpy Generator seeded with ``seed`` for
    the fit's own draws (mini-batches, noise). Thread count and the deterministic flag
    are restored on exit, so a fit run inline in a student's process leaves it as it was."""
    torch = import_torch(teacher_name)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TeacherError(f"seed must be an int >= 0, got {seed!r}")
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    # torch.use_deterministic_algorithms also imports the Inductor compiler's config to
    # set its flag (seconds on first use, and nothing here is compiled): set the eager
    # flag it sets, where this torch has it.
    set_flag = getattr(torch._C, "_set_deterministic_algorithms",
                       torch.use_deterministic_algorithms)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        torch.set_num_threads(1)
        set_flag(True)
        try:
            yield np.random.default_rng(int(seed))
        finally:
            set_flag(deterministic)
            torch.set_num_threads(threads)


def export_weights(module: Any, prefix: str) -> dict[str, np.ndarray]:
    """Every parameter of the torch ``module`` as a float64 numpy copy, named
    ``prefix + "." + parameter name`` (e.g. ``"gen.0.weight"``; a Linear layer's weight
    is (out, in), its bias (out,))."""
    return {
        f"{prefix}.{name}": p.detach().cpu().double().numpy().copy()
        for name, p in module.named_parameters()
    }


def load_weights(module: Any, arrays: Mapping[str, np.ndarray], prefix: str) -> None:
    """Copy ``arrays`` (as :func:`export_weights` names them) into the parameters of the
    torch ``module``. Every parameter must be present with its exact shape and no other
    array may use the prefix; otherwise StateMismatchError and the module is unchanged."""
    params = dict(module.named_parameters())
    wanted = {f"{prefix}.{name}": p for name, p in params.items()}
    extra = sorted(k for k in arrays if k.startswith(prefix + ".") and k not in wanted)
    if extra:
        raise StateMismatchError(f"weights {extra} are not parameters of {prefix!r}")
    for key, p in wanted.items():
        if key not in arrays:
            raise StateMismatchError(f"weights for {prefix!r} lack {key!r}")
        shape = tuple(np.shape(arrays[key]))
        if shape != tuple(p.shape):
            raise StateMismatchError(
                f"weight {key!r} must have shape {tuple(p.shape)}, got {shape}")
    torch = import_torch(prefix)
    with torch.no_grad():
        for key, p in wanted.items():
            p.copy_(torch.from_numpy(np.array(arrays[key], dtype=np.float64)).to(p.dtype))


# -- the numpy forward pass --------------------------------------------------------------------
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
#: 1/n! for the Taylor polynomial of exp on |r| <= ln(2)/2 (error below 1e-17 relative).
_TAYLOR = [1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(15)]


def exact_exp(x: np.ndarray) -> np.ndarray:
    """exp(x) from +, -, *, /, rint and ldexp only: the same bits on every IEEE-754
    machine (about 1 ulp from the true value). x is clipped to [-745, 709]."""
    x = np.clip(np.asarray(x, dtype=np.float64), -745.0, 709.0)
    k = np.rint(x * _INV_LN2)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _TAYLOR[-1])
    for c in reversed(_TAYLOR[:-1]):
        p = p * r + c
    return np.ldexp(p, k.astype(np.int64))


#: 2 / (2k + 3): log(1 + f) = 2s + s R, R = z (2/3 + z (2/5 + ...)), z = s^2, s = f / (2 + f).
_LOG_SERIES = [2.0 / (2 * k + 3) for k in range(15)]
_SQRT_HALF = 0.70710678118654752440


def exact_log(x: np.ndarray) -> np.ndarray:
    """log(x) from frexp and +, -, *, / only: the same bits on every IEEE-754 machine
    (within about 1 ulp of the true value). x = (1 + f) 2^k with 1 + f in [sqrt(1/2),
    sqrt(2)); log(1 + f) = 2 atanh(s), s = f / (2 + f), summed as fdlibm's log does
    (f - (f^2/2 - s (f^2/2 + R)): the exact f first, a small correction after).
    log(0) = -inf, log(inf) = inf, negative or NaN x gives NaN."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x) & (x > 0.0)
    m, e = np.frexp(np.where(ok, x, 1.0))
    low = m < _SQRT_HALF
    f = np.where(low, m * 2.0, m) - 1.0  # exact (a power-of-two scaling, then Sterbenz)
    k = (e - low).astype(np.float64)
    s = f / (2.0 + f)
    z = s * s
    r = np.full_like(s, _LOG_SERIES[-1])
    for c in reversed(_LOG_SERIES[:-1]):
        r = r * z + c
    r = r * z
    hfsq = 0.5 * f * f
    out = k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)
    out = np.where(ok, out, np.nan)
    out = np.where(x == 0.0, -np.inf, out)
    return np.where(x == np.inf, np.inf, out)


def exact_tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) from :func:`exact_exp` (absolute error ~1e-16)."""
    x = np.asarray(x, dtype=np.float64)
    e = exact_exp(-2.0 * np.abs(x))
    return np.copysign((1.0 - e) / (1.0 + e), x)


def exact_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) from :func:`exact_exp`."""
    return 1.0 / (1.0 + exact_exp(-np.asarray(x, dtype=np.float64)))


def _activation(name: str) -> Any:
    if name == "relu":
        return lambda h: np.maximum(h, 0.0)
    if name == "tanh":
        return exact_tanh
    if name == "sigmoid":
        return exact_sigmoid
    if name == "identity":
        return lambda h: h
    if name.startswith("leaky_relu"):
        _, _, slope_text = name.partition(":")
        try:
            slope = float(slope_text) if slope_text else 0.01
        except ValueError:
            slope = float("nan")
        if not np.isfinite(slope):
            raise TeacherError(f"activation {name!r}: the slope must be a number")
        return lambda h: np.where(h >= 0.0, h, h * slope)
    raise TeacherError(f"activation must be one of {list(ACTIVATIONS)} "
                       f"(leaky_relu:<slope> too), got {name!r}")


def mlp_forward(arrays: Mapping[str, np.ndarray], prefix: str, x: Any,
                layers: Sequence[str], activations: Sequence[str]) -> np.ndarray:
    """Forward pass in float64 of an MLP of torch.nn.Linear layers from exported weights.

    arrays: ``{prefix.layer.weight: (out, in), prefix.layer.bias: (out,)}``; layers: the
    Linear layers' names in order (e.g. ``["0", "2", "4"]`` for an nn.Sequential);
    activations: one per layer (see :data:`ACTIVATIONS`). x: (n, in) or (in,); returns
    (n, out) or (out,). Each row's result depends on that row alone (not on n), and on no
    machine-specific arithmetic (see the module docstring)."""
    if len(layers) != len(activations) or not layers:
        raise TeacherError(f"mlp_forward needs one activation per layer, got {len(layers)} "
                           f"layers and {len(activations)} activations")
    h = np.asarray(x, dtype=np.float64)
    single = h.ndim == 1
    h = np.atleast_2d(h)
    for layer, act in zip(layers, activations, strict=True):
        w_key, b_key = f"{prefix}.{layer}.weight", f"{prefix}.{layer}.bias"
        if w_key not in arrays or b_key not in arrays:
            raise TeacherError(f"weights lack {w_key!r} or {b_key!r}")
        w = np.asarray(arrays[w_key], dtype=np.float64)
        b = np.asarray(arrays[b_key], dtype=np.float64)
        if w.ndim != 2 or b.shape != (w.shape[0],) or h.shape[1] != w.shape[1]:
            raise TeacherError(f"layer {prefix}.{layer}: weight {w.shape} and bias {b.shape} "
                               f"do not take an input of width {h.shape[1]}")
        # Products are exact-rounded elementwise; each row's sum is numpy's pairwise sum
        # over the contiguous last axis, whose order is fixed by the code, not the CPU.
        h = np.ascontiguousarray(h[:, None, :] * w[None, :, :]).sum(axis=2) + b
        h = _activation(act)(h)
    return h[0] if single else h
