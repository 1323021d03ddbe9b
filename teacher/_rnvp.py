"""The Setter-Solver networks as pure functions of named weight arrays.

The setter is a conditional real-NVP flow (Racanière et al. 2020): a latent ``z`` of shape
(n, d), drawn from the flow's base distribution (``SetterShape.base``: N(0, I), as the
reference, or the standard logistic, whose sigmoid is uniform on (0, 1)), goes through
``blocks`` blocks of three affine couplings (first half -> second half, second half ->
first half, odd -> even coordinates), each coupling's scale and shift computed by a small
highway network from the untouched coordinates and the desired feasibility ``c`` (n, 1);
a final sigmoid maps the result into (0, 1)^d, the unit box of the task space. The judge
is a ReLU MLP from a goal in (0, 1)^d to the logit of the probability that the student
succeeds on it.

Every function takes an ``ops`` namespace, so the same code is the differentiable torch
forward of training (``teacher._setter_fit``) and the numpy float64 forward of sampling
(:data:`NUMPY_OPS`). The numpy ops use only correctly rounded arithmetic
(:mod:`teacher._nn`): a replay of logged weights gives the same tasks on any machine.

Weight names: ``setter.<block>.<coupling>.<s|t>.<in|hw<l>|out>.<weight|bias>`` (a weight
is (out, in), as torch.nn.Linear's) and ``judge.<layer>.<weight|bias>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from teacher._nn import exact_sigmoid, exact_tanh

#: Smallest coupling scale: keeps the inverse (a division by the scale) bounded.
MIN_SCALE = 1e-2


@dataclass(frozen=True)
class SetterShape:
    """Sizes of the setter flow over a ``dim``-dimensional task space."""

    dim: int
    hidden: int
    blocks: int
    layers: int
    #: the latent's distribution: "normal" (N(0, I)) or "logistic" (standard logistic)
    base: str = "normal"


def couplings(dim: int) -> list[tuple[list[int], list[int]]]:
    """(conditioning coordinates, transformed coordinates) of the three couplings of a
    block; a coupling that would transform nothing (dim 1) is left out."""
    n1 = dim // 2
    first, second = list(range(n1)), list(range(n1, dim))
    even, odd = list(range(0, dim, 2)), list(range(1, dim, 2))
    return [(c, t) for c, t in ((first, second), (second, first), (odd, even)) if t]


def _highway_shapes(prefix: str, n_in: int, hidden: int, layers: int,
                    n_out: int) -> dict[str, tuple[int, ...]]:
    out = {f"{prefix}.in.weight": (hidden, n_in), f"{prefix}.in.bias": (hidden,)}
    for layer in range(layers):
        out[f"{prefix}.hw{layer}.weight"] = (2 * hidden, hidden)
        out[f"{prefix}.hw{layer}.bias"] = (2 * hidden,)
    out[f"{prefix}.out.weight"] = (n_out, hidden)
    out[f"{prefix}.out.bias"] = (n_out,)
    return out


def setter_shapes(shape: SetterShape) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every setter weight."""
    out: dict[str, tuple[int, ...]] = {}
    for b in range(shape.blocks):
        for j, (cond, trans) in enumerate(couplings(shape.dim)):
            for net in ("s", "t"):
                out.update(_highway_shapes(f"setter.{b}.{j}.{net}", len(cond) + 1,
                                           shape.hidden, shape.layers, len(trans)))
    return out


def judge_shapes(dim: int, hidden: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every judge weight (ReLU MLP dim -> hidden... -> 1)."""
    sizes = [dim, *hidden, 1]
    out: dict[str, tuple[int, ...]] = {}
    for i in range(len(sizes) - 1):
        out[f"judge.{i}.weight"] = (sizes[i + 1], sizes[i])
        out[f"judge.{i}.bias"] = (sizes[i + 1],)
    return out


def init_weights(shapes: Mapping[str, tuple[int, ...]],
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Initial weights: each weight matrix truncated-normal (cut at 2 sd) with sd
    1/sqrt(fan_in), as Sonnet's Linear (the reference setter's) draws them; biases 0."""
    out = {}
    for name in sorted(shapes):
        shp = shapes[name]
        if name.endswith(".weight"):
            w = rng.standard_normal(shp)
            bad = np.abs(w) > 2.0
            for _ in range(100):  # redraw the cut tails (bounded; P(left) < 0.05**100)
                if not bad.any():
                    break
                w[bad] = rng.standard_normal(int(bad.sum()))
                bad = np.abs(w) > 2.0
            out[name] = np.clip(w, -2.0, 2.0) / math.sqrt(shp[1])
        else:
            out[name] = np.zeros(shp)
    return out


#: The last bias of a coupling's scale network that makes its scale exactly 1 (in the
#: numpy forward; within 2 ulp in torch's): MIN_SCALE + nice_softplus(SCALE_ONE) == 1.
SCALE_ONE = 0.9131652918244231


def identity_start(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``weights`` with the last layer of every coupling's scale and shift networks set so
    that each coupling is the identity (weight 0; shift bias 0, scale bias
    :data:`SCALE_ONE`); the other weights are kept. With a logistic base, such a setter
    proposes uniformly over the unit box."""
    out = dict(weights)
    for name, a in weights.items():
        if name.startswith("setter.") and ".out." in name:
            is_scale_bias = name.endswith(".s.out.bias")
            out[name] = np.full_like(a, SCALE_ONE if is_scale_bias else 0.0)
    return out


def _base_log_density(z: Any, shape: SetterShape, ops: Any) -> Any:
    """Log-density of the base distribution at z (n, d), summed over d (n,), up to a
    constant."""
    if shape.base == "logistic":
        return (ops.logsigmoid(z) + ops.logsigmoid(-z)).sum(1)
    return -0.5 * (z * z).sum(1)


# -- the forward passes (torch or numpy, through ``ops``) --------------------------------------
def _highway(p: Mapping[str, Any], prefix: str, x: Any, layers: int, ops: Any) -> Any:
    y = ops.tanh(ops.linear(x, p[f"{prefix}.in.weight"], p[f"{prefix}.in.bias"]))
    for layer in range(layers):
        a = ops.linear(y, p[f"{prefix}.hw{layer}.weight"], p[f"{prefix}.hw{layer}.bias"])
        half = a.shape[1] // 2
        gate = ops.sigmoid(a[:, half:])
        y = y + (ops.tanh(a[:, :half]) - y) * gate
    return ops.linear(y, p[f"{prefix}.out.weight"], p[f"{prefix}.out.bias"])


def nice_softplus(x: Any, ops: Any) -> Any:
    """A positive, increasing function equal to x at +inf that decays like 1/x^2 (not
    exponentially) at -inf: the reference setter's coupling scale."""
    k = 1e6 / (math.pi / 2.0)
    x = k * ops.atan(x / k)  # soft clip to (-1e6, 1e6)
    y = x * (ops.atan(x) / math.pi + 0.5) + 1.0 / math.pi
    tail = ops.minimum(x, -30.0)  # the asymptote, only where x < -30 (finite gradients)
    return ops.where(x < -30.0, 1.0 / (3.0 * math.pi * tail * tail), y)


def _coupling(p: Mapping[str, Any], key: str, z: Any, c: Any, cond: list[int],
              trans: list[int], layers: int, ops: Any, inverse: bool) -> tuple[Any, Any]:
    h = ops.cat([z[:, cond], c]) if cond else c
    scale = MIN_SCALE + nice_softplus(_highway(p, f"{key}.s", h, layers, ops), ops)
    shift = _highway(p, f"{key}.t", h, layers, ops)
    y = z[:, trans]
    y = (y - shift) / scale if inverse else y * scale + shift
    order = np.argsort(cond + trans).tolist()
    out = ops.cat([z[:, cond], y]) if cond else y
    return out[:, order], scale


def setter_forward(p: Mapping[str, Any], z: Any, c: Any, shape: SetterShape, ops: Any,
                   *, log_p: bool = False) -> tuple[Any, Any]:
    """Goals (n, d) in (0, 1) for latents z (n, d) and feasibilities c (n, 1), and, if
    ``log_p``, their log-density under the setter (n,) up to a constant (else None)."""
    lp = _base_log_density(z, shape, ops) if log_p else None
    for b in range(shape.blocks):
        for j, (cond, trans) in enumerate(couplings(shape.dim)):
            z, scale = _coupling(p, f"setter.{b}.{j}", z, c, cond, trans, shape.layers, ops,
                                 inverse=False)
            if log_p:
                lp = lp - ops.log(scale).sum(1)
    if log_p:
        lp = lp - (ops.logsigmoid(z) + ops.logsigmoid(-z)).sum(1)
    return ops.sigmoid(z), lp


def setter_inverse(p: Mapping[str, Any], goals: Any, c: Any, shape: SetterShape,
                   ops: Any) -> tuple[Any, Any]:
    """The latents (n, d) that give ``goals`` (n, d, strictly inside (0, 1)) at
    feasibilities c (n, 1), and the goals' log-density (n,) up to a constant."""
    z = ops.log(goals) - ops.log(1.0 - goals)
    lp = -(ops.logsigmoid(z) + ops.logsigmoid(-z)).sum(1)
    for b in reversed(range(shape.blocks)):
        for j, (cond, trans) in reversed(list(enumerate(couplings(shape.dim)))):
            z, scale = _coupling(p, f"setter.{b}.{j}", z, c, cond, trans, shape.layers, ops,
                                 inverse=True)
            lp = lp - ops.log(scale).sum(1)
    return z, lp + _base_log_density(z, shape, ops)


def judge_logits(p: Mapping[str, Any], goals: Any, n_layers: int, ops: Any) -> Any:
    """The judge's logit of success (n,) for goals (n, d)."""
    h = goals
    for i in range(n_layers):
        h = ops.linear(h, p[f"judge.{i}.weight"], p[f"judge.{i}.bias"])
        if i < n_layers - 1:
            h = ops.relu(h)
    return h[:, 0]


# -- machine-independent numpy arithmetic ------------------------------------------------------
#: (-1)^k / (2k + 1): the series of atan on |t| <= tan(pi/16) (relative error < 1e-17).
_ATAN_SERIES = [(-1.0) ** k / (2 * k + 1) for k in range(14)]


def exact_atan(x: Any) -> np.ndarray:
    """atan(x) from correctly rounded operations only (+, -, *, /, sqrt): the same bits on
    every IEEE-754 machine. Reduced to |t| <= tan(pi/16) by 1/x and two half-angle steps."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    big = a > 1.0
    t = np.where(big, 1.0 / np.where(big, a, 1.0), a)
    for _ in range(2):  # atan(t) = 2 atan(t / (1 + sqrt(1 + t^2)))
        t = t / (1.0 + np.sqrt(1.0 + t * t))
    t2 = t * t
    s = np.full_like(t, _ATAN_SERIES[-1])
    for coef in reversed(_ATAN_SERIES[:-1]):
        s = s * t2 + coef
    r = 4.0 * t * s
    return np.copysign(np.where(big, math.pi / 2.0 - r, r), x)


def _np_linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Elementwise products, then numpy's pairwise sum over the contiguous last axis: an
    # order fixed by the code, not by a BLAS kernel.
    return np.ascontiguousarray(x[:, None, :] * w[None, :, :]).sum(axis=2) + b


NUMPY_OPS = SimpleNamespace(
    linear=_np_linear,
    tanh=exact_tanh,
    sigmoid=exact_sigmoid,
    atan=exact_atan,
    minimum=np.minimum,
    where=np.where,
    relu=lambda x: np.maximum(x, 0.0),
    cat=lambda xs: np.concatenate(xs, axis=1),
)
