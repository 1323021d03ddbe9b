"""Setter-Solver's fit step: one round of judge and setter training in PyTorch.

A pure function of its inputs (weights and Adam moments of the previous fit, the episodes
since, hyper-parameters, a seed), single-threaded; see :class:`teacher.setter_solver.
SetterSolverFit`. The losses are those of Racanière et al. 2020 as TeachMyAgent's
Setter-Solver computes them:

- judge: cross-entropy between its logit on each goal and the episode's success;
- setter validity: -log density of each succeeded goal (plus uniform noise in [0, ub)) at
  the feasibility it was set with;
- setter feasibility: (judge logit of the goal regenerated from its latent - logit of the
  desired feasibility)^2, the judge held fixed;
- setter coverage: the log density of those regenerated goals (minimised: entropy).

Each network takes ``steps`` Adam steps per fit (the judge's first), Adam's moments carried
from fit to fit in the logged arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from teacher._nn import import_torch, seeded
from teacher._rnvp import SetterShape, judge_logits, setter_forward, setter_inverse

#: Goals are kept this far inside (0, 1) before their logit is taken (as the reference
#: clips its noisy goals).
GOAL_EPS = 1e-4
#: Desired feasibilities are drawn uniformly in [FEASIBILITY_LOW, 1) (the reference's).
FEASIBILITY_LOW = 1e-8
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8  # Adam, TensorFlow 1's defaults (the reference's)


def _torch_ops(torch: Any) -> SimpleNamespace:
    f = torch.nn.functional
    return SimpleNamespace(
        linear=f.linear, tanh=torch.tanh, sigmoid=torch.sigmoid, atan=torch.atan,
        minimum=lambda x, v: torch.clamp(x, max=v), where=torch.where,
        cat=lambda xs: torch.cat(xs, dim=1), log=torch.log, logsigmoid=f.logsigmoid,
        relu=torch.relu,
    )


def _adam(torch: Any, params: dict[str, Any], m: dict[str, Any], v: dict[str, Any],
          step: int, lr: float) -> None:
    """One Adam step (TensorFlow 1's form) on the parameters that have a gradient."""
    lr_t = lr * math.sqrt(1.0 - _BETA2**step) / (1.0 - _BETA1**step)
    with torch.no_grad():
        for name, p in params.items():
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            m[name].mul_(_BETA1).add_(g, alpha=1.0 - _BETA1)
            v[name].mul_(_BETA2).addcmul_(g, g, value=1.0 - _BETA2)
            p.sub_(lr_t * m[name] / (v[name].sqrt() + _EPS))
            p.grad = None


def train(
    weights: Mapping[str, np.ndarray],
    moments: Mapping[str, np.ndarray],
    steps_done: int,
    goals: np.ndarray,
    feasibility: np.ndarray,
    success: np.ndarray,
    *,
    shape: SetterShape,
    judge_layers: int,
    learning_rate: float,
    noise_ub: float,
    steps: int,
    seed: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Train from ``weights`` (``setter.*`` and ``judge.*``) and Adam ``moments``
    (``m.<name>``, ``v.<name>``; after ``steps_done`` steps) on the episodes: goals (n, d)
    in [0, 1], feasibility (n,) in (0, 1) or NaN if unknown, success (n,) of 0/1.
    Returns the new weights, moments and the last losses."""
    torch = import_torch("setter-solver")
    ops = _torch_ops(torch)
    with seeded(seed, teacher_name="setter-solver") as rng:
        t = {k: torch.tensor(np.asarray(a), dtype=torch.float64) for k, a in weights.items()}
        for p in t.values():
            p.requires_grad_(True)
        m = {k: torch.tensor(np.asarray(moments[f"m.{k}"]), dtype=torch.float64) for k in t}
        v = {k: torch.tensor(np.asarray(moments[f"v.{k}"]), dtype=torch.float64) for k in t}
        setter = {k: p for k, p in t.items() if k.startswith("setter.")}
        judge = {k: p for k, p in t.items() if k.startswith("judge.")}
        g = torch.tensor(np.clip(goals, GOAL_EPS, 1.0 - GOAL_EPS), dtype=torch.float64)
        # Episodes whose task the setter did not set (uniform bootstrap tasks, tasks from
        # elsewhere) get a desired feasibility drawn as the setter draws one.
        f = np.array(feasibility, dtype=np.float64)
        unknown = np.isnan(f)
        f[unknown] = rng.uniform(FEASIBILITY_LOW, 1.0, size=int(unknown.sum()))
        c = torch.tensor(f.reshape(-1, 1), dtype=torch.float64)
        won = success.astype(bool)
        y = torch.tensor(won.astype(np.float64), dtype=torch.float64)
        target = torch.log(c[:, 0]) - torch.log1p(-c[:, 0])
        losses: dict[str, float] = {}
        for _ in range(steps):
            steps_done += 1
            j_loss = torch.nn.functional.binary_cross_entropy_with_logits(
                judge_logits(judge, g, judge_layers, ops), y)
            j_loss.backward()
            _adam(torch, judge, m, v, steps_done, learning_rate)

            frozen = {k: p.detach() for k, p in judge.items()}
            with torch.no_grad():
                latent, _ = setter_inverse(setter, g, c, shape, ops)
            regen, cover_lp = setter_forward(setter, latent, c, shape, ops, log_p=True)
            feas = ((judge_logits(frozen, regen, judge_layers, ops) - target) ** 2).mean()
            cover = cover_lp.mean()
            s_loss = feas + cover
            if won.any():
                noisy = goals[won] + rng.uniform(0.0, noise_ub, size=goals[won].shape)
                noisy_t = torch.tensor(np.clip(noisy, GOAL_EPS, 1.0 - GOAL_EPS),
                                       dtype=torch.float64)
                _, valid_lp = setter_inverse(setter, noisy_t, c[torch.from_numpy(won)],
                                             shape, ops)
                s_loss = s_loss - valid_lp.mean()
            s_loss.backward()
            _adam(torch, setter, m, v, steps_done, learning_rate)
            losses = {"judge_loss": float(j_loss.detach()), "setter_loss": float(s_loss.detach())}
        out_w = {k: p.detach().numpy().copy() for k, p in t.items()}
        out_m = {f"m.{k}": a.numpy().copy() for k, a in m.items()}
        out_m.update({f"v.{k}": a.numpy().copy() for k, a in v.items()})
    return out_w, out_m, losses
