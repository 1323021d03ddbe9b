"""GoalGAN's fit: a least-squares GAN over tasks, trained in PyTorch as a pure job.

The job is a frozen snapshot (the previous fit's arrays, the labelled batches since, the
hyper-parameters); :meth:`GANFitJob.run` trains and returns every array the next fit and
the sampler need as an :class:`ArrayFit` (logged exactly). Tasks are normalised to
``(task - centre) / width`` in [-0.5, 0.5]; the generator's tanh output is mapped back
with ``centre + out * width``.

The training follows Florensa et al. (2018) as TeachMyAgent runs it: per outer iteration
one discriminator step on a batch of labelled tasks (target +1 for a task of intermediate
difficulty, -1 otherwise) plus as many generated ones (target -1), then one generator
step on the same noise (target +1); RMSProp as TensorFlow 1 defines it (decay 0.9,
epsilon 1e-10 inside the root, mean squares starting at 1), Xavier-uniform weights and
zero biases, labelled tasks fed in order, cycling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teacher._fit import ArrayFit
from teacher._nn import export_weights, import_torch, load_weights, seeded

__all__ = ["GANFitJob", "GANShape", "generator_layers", "KIND"]

KIND = "goal-gan"
_RHO, _EPS = 0.9, 1e-10  # TensorFlow 1's RMSPropOptimizer defaults
_LEAK = 0.1  # TeachMyAgent's discriminator: max(0.1 x, x)


@dataclass(frozen=True)
class GANShape:
    """The networks: noise -> generator_layers (ReLU) -> dim (tanh), and
    dim -> discriminator_layers (leaky ReLU 0.1) -> 1 (linear)."""

    dim: int
    noise_size: int
    generator_layers: tuple[int, ...]
    discriminator_layers: tuple[int, ...]

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every array a fit carries, by name, with its shape."""
        out: dict[str, tuple[int, ...]] = {}
        for prefix, sizes in (("gen", self._gen_sizes()), ("disc", self._disc_sizes())):
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                for kind, shape in (("weight", (n_out, n_in)), ("bias", (n_out,))):
                    name = f"{prefix}.{2 * i}.{kind}"
                    out[name] = shape
                    out[f"ms.{name}"] = shape
        return out

    def _gen_sizes(self) -> list[int]:
        return [self.noise_size, *self.generator_layers, self.dim]

    def _disc_sizes(self) -> list[int]:
        return [self.dim, *self.discriminator_layers, 1]


def generator_layers(shape: GANShape) -> tuple[list[str], list[str]]:
    """The generator's Linear layer names and activations, for :func:`_nn.mlp_forward`."""
    n = len(shape.generator_layers) + 1
    return [str(2 * i) for i in range(n)], ["relu"] * (n - 1) + ["tanh"]


def _build(torch: Any, shape: GANShape) -> tuple[Any, Any]:
    nn = torch.nn

    def mlp(sizes: list[int], hidden: Any, out: Any | None) -> Any:
        mods: list[Any] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            mods.append(nn.Linear(n_in, n_out))
            last = i == len(sizes) - 2
            if not last:
                mods.append(hidden())
            elif out is not None:
                mods.append(out())
        for m in mods:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        return nn.Sequential(*mods)

    gen = mlp(shape._gen_sizes(), nn.ReLU, nn.Tanh)
    disc = mlp(shape._disc_sizes(), lambda: nn.LeakyReLU(_LEAK), None)
    return gen, disc


class _RMSProp:
    """TensorFlow 1's RMSProp (ms starts at 1; epsilon inside the square root)."""

    def __init__(self, torch: Any, module: Any, prefix: str, lr: float,
                 state: dict[str, np.ndarray]):
        self.torch, self.lr = torch, lr
        self.params = list(module.named_parameters())
        self.ms = [
            torch.from_numpy(np.array(state[f"ms.{prefix}.{n}"], dtype=np.float32))
            if f"ms.{prefix}.{n}" in state else torch.ones_like(p)
            for n, p in self.params
        ]
        self.prefix = prefix

    def step(self) -> None:
        with self.torch.no_grad():
            for (_, p), ms in zip(self.params, self.ms, strict=True):
                g = p.grad
                ms.mul_(_RHO).addcmul_(g, g, value=1.0 - _RHO)
                p.addcdiv_(g, (ms + _EPS).sqrt(), value=-self.lr)
                p.grad = None

    def export(self) -> dict[str, np.ndarray]:
        return {f"ms.{self.prefix}.{n}": ms.double().numpy().copy()
                for (n, _), ms in zip(self.params, self.ms, strict=True)}


@dataclass(frozen=True, eq=False)
class GANFitJob:
    """One GoalGAN fit (see the module docstring).

    state: the previous fit's arrays (empty for the first fit, which starts from fresh
    weights and, if ``pretrain_iterations`` > 0, first trains on ``pretrain_tasks`` all
    labelled positive, as TeachMyAgent's ``use_pretrained_samples``). batches: the
    labelled batches (normalised tasks (n, dim), labels (n,) of 0/1) since that fit,
    each trained for ``iterations`` outer iterations in order."""

    fit_index: int
    episode: int
    seed: int
    shape: GANShape
    state: dict[str, np.ndarray] = field(default_factory=dict)
    pretrain_tasks: np.ndarray | None = None
    pretrain_iterations: int = 0
    batches: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    iterations: int = 250
    batch_size: int = 64
    learning_rate: float = 1e-3

    def run(self) -> ArrayFit:
        torch = import_torch(KIND)
        with seeded(self.seed, teacher_name=KIND) as rng:
            gen, disc = _build(torch, self.shape)
            if self.state:
                load_weights(gen, self.state, "gen")
                load_weights(disc, self.state, "disc")
            opt_g = _RMSProp(torch, gen, "gen", self.learning_rate, self.state)
            opt_d = _RMSProp(torch, disc, "disc", self.learning_rate, self.state)
            losses = (float("nan"), float("nan"))
            rounds: list[tuple[np.ndarray, np.ndarray, int]] = []
            if self.pretrain_tasks is not None and self.pretrain_iterations > 0:
                pre = np.asarray(self.pretrain_tasks)
                rounds.append((pre, np.ones(len(pre)), self.pretrain_iterations))
            rounds += [(x, y, self.iterations) for x, y in self.batches]
            for x, y, iters in rounds:
                losses = self._train(torch, gen, disc, opt_g, opt_d, rng, x, y, iters)
            arrays = {**export_weights(gen, "gen"), **export_weights(disc, "disc"),
                      **opt_g.export(), **opt_d.export()}
        values: dict[str, float | int | str] = {
            "episode": self.episode, "batches": len(self.batches),
            "pretrained": int(self.pretrain_tasks is not None and self.pretrain_iterations > 0),
        }
        if np.isfinite(losses[0]):
            values.update(disc_loss=losses[0], gen_loss=losses[1])
        return ArrayFit(kind=KIND, fit_index=self.fit_index, seed=self.seed, arrays=arrays,
                        values=values)

    def _train(self, torch: Any, gen: Any, disc: Any, opt_g: _RMSProp, opt_d: _RMSProp,
               rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
               iters: int) -> tuple[float, float]:
        b = self.batch_size
        real = torch.from_numpy(np.asarray(x, dtype=np.float32))
        target_real = torch.from_numpy(2.0 * np.asarray(y, dtype=np.float32)[:, None] - 1.0)
        target_fake = -torch.ones(b, 1)
        n = real.shape[0]
        d_loss = g_loss = torch.zeros(())
        for it in range(iters):
            # consecutive rows, wrapping round (TeachMyAgent's batch feed)
            idx = torch.arange(n) if n <= b else (torch.arange(b) + (it * b) % n) % n
            noise = torch.from_numpy(
                rng.standard_normal((b, self.shape.noise_size)).astype(np.float32))
            with torch.no_grad():
                fake = gen(noise)
            inputs = torch.cat([real[idx], fake])
            targets = torch.cat([target_real[idx], target_fake])
            d_loss = (targets - disc(inputs)).square().mean()
            d_loss.backward()
            opt_d.step()
            g_loss = (disc(gen(noise)) - 1.0).square().mean()
            g_loss.backward()
            opt_g.step()
            for p in disc.parameters():  # the generator step must not move the critic
                p.grad = None
        return float(d_loss.detach()), float(g_loss.detach())
