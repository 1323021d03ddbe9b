"""TeachMyAgent's own GoalGAN on the paper toy student, for comparison with ours.

TeachMyAgent's GoalGAN (``teachers/algos/goal_gan.py`` with
``teachers/utils/gan/{gan,generator}.py``) is written for TensorFlow 1, which has no
Python 3.11 wheels. This script runs it unchanged from a TeachMyAgent checkout (outside
this repository; nothing of it is copied here) on TensorFlow 2's ``tf.compat.v1`` with
graph mode, and fills in at run time the names that compat.v1 lacks:

- ``tf.contrib.layers.xavier_initializer()``: ``glorot_uniform_initializer`` (contrib's
  default is the uniform Glorot/Xavier initialiser);
- ``tf.layers.dense`` (gone with Keras 3): a small equivalent with TF1's variable layout,
  a ``dense``/``dense_1``/... or the given name's variable scope holding ``kernel``
  (the given initialiser, Glorot uniform by default) and ``bias`` (zeros), ``reuse`` as
  given; ``tf.layers.batch_normalization`` is not needed (GoalGAN turns it off);
- ``np.float`` (removed in NumPy 1.24): Python's ``float``.

Usage (a separate environment with tensorflow-cpu, numpy and scipy, our repository on the
path)::

    PYTHONPATH=. /path/to/tf-venv/bin/python -m benchmarks.bench_goal_gan_reference \\
        /path/to/TeachMyAgent --seeds 3

``--ours`` (in our environment, checkout not needed) runs our ``goal-gan`` with the same
loop and clock; ``--ours --tma-sizes`` gives it TeachMyAgent's network sizes.

Settings are ours where TeachMyAgent has them: ``state_noise_level=0.1``,
``success_distance_threshold=0.01``, ``update_size=100``, ``n_rollouts=2``,
``goid_lb=0.25``, ``goid_ub=0.75``, ``p_old=0.1``, success = normalised return above 0.76,
and pretraining on the Gaussian at the low corner with sd 10% of each range
(``use_pretrained_samples=True``, ``initial_dist``; our ``pretrain="initial"``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._checkout import load_module as load
from benchmarks._toy_run import timed_run
from teacher.toy import ToyStudent

SUCCESS_THRESHOLD = 0.76
CHECKPOINTS = (5_000, 10_000, 20_000)


def _tf() -> types.ModuleType:
    """tf.compat.v1 in graph mode, with the names the reference needs filled in."""
    import tensorflow as tf2

    v1 = tf2.compat.v1
    v1.disable_v2_behavior()
    v1.disable_v2_tensorshape()

    def dense(inputs: Any, units: int, activation: Any = None, kernel_initializer: Any = None,
              name: str | None = None, reuse: Any = None) -> Any:
        with v1.variable_scope(name, default_name="dense", reuse=reuse):
            fan_in = int(inputs.get_shape()[-1])
            kernel = v1.get_variable("kernel", [fan_in, units], dtype=inputs.dtype,
                                     initializer=kernel_initializer
                                     or v1.glorot_uniform_initializer())
            bias = v1.get_variable("bias", [units], dtype=inputs.dtype,
                                   initializer=v1.zeros_initializer())
            out = v1.matmul(inputs, kernel) + bias
            return activation(out) if activation is not None else out

    def xavier_initializer(uniform: bool = True, seed: int | None = None,
                           dtype: Any = v1.float32) -> Any:
        if not uniform:
            raise NotImplementedError("only the uniform Xavier initialiser is shimmed")
        return v1.glorot_uniform_initializer(seed=seed, dtype=dtype)

    tf = types.ModuleType("tensorflow")
    tf.__dict__["__getattr__"] = lambda attr: getattr(v1, attr)
    tf.layers = types.SimpleNamespace(dense=dense)  # type: ignore[attr-defined]
    tf.contrib = types.SimpleNamespace(  # type: ignore[attr-defined]
        layers=types.SimpleNamespace(xavier_initializer=xavier_initializer))
    return tf


def load_reference(checkout: Path) -> Any:
    """TeachMyAgent's GoalGAN class, its imports shimmed."""
    import scipy.spatial.distance  # noqa: F401  (generator.py uses scipy.spatial unimported)

    if not hasattr(np, "float"):
        np.float = float  # type: ignore[attr-defined]
    sys.modules["tensorflow"] = _tf()
    root = checkout / "TeachMyAgent" / "teachers"
    for pkg in ("TeachMyAgent", "TeachMyAgent.teachers", "TeachMyAgent.teachers.algos",
                "TeachMyAgent.teachers.utils", "TeachMyAgent.teachers.utils.gan"):
        sys.modules.setdefault(pkg, types.ModuleType(pkg))
    load("TeachMyAgent.teachers.algos.AbstractTeacher", root / "algos" / "AbstractTeacher.py")
    load("TeachMyAgent.teachers.utils.gan.gan", root / "utils" / "gan" / "gan.py")
    load("TeachMyAgent.teachers.utils.gan.generator", root / "utils" / "gan" / "generator.py")
    return load("TeachMyAgent.teachers.algos.goal_gan", root / "algos" / "goal_gan.py").GoalGAN


def run_reference(cls: Any, seed: int, episodes: int) -> tuple[list[float], float, str]:
    """% mastered at CHECKPOINTS, teacher CPU ms per episode, and how many of its GAN
    updates trained (it skips those whose batch has no goal of intermediate difficulty)."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        scores, ms, weights = _reference_loop(cls, seed, episodes)
    trained = log.getvalue().count("Training GoalGAN")
    skipped = log.getvalue().count("skipping GoalGAN training")
    return scores, ms, f"GAN trained {trained} times, skipped {skipped}; weights {weights}"


def _reference_loop(cls: Any, seed: int, episodes: int
                    ) -> tuple[list[float], float, dict[str, int]]:
    import tensorflow as tf  # the shimmed compat.v1

    tf.reset_default_graph()
    student = ToyStudent(random_state=seed)
    low, high = np.zeros(2), np.ones(2)
    initial_dist = {"mean": low.copy(), "variance": np.diag((0.1 * (high - low)) ** 2)}
    teacher = cls(low.tolist(), high.tolist(), seed=seed + 1,  # its seed 0 means "random"
                  env_reward_lb=0.0, env_reward_ub=1.0, state_noise_level=0.1,
                  success_distance_threshold=0.01, update_size=100, n_rollouts=2,
                  goid_lb=0.25, goid_ub=0.75, p_old=0.1, use_pretrained_samples=True,
                  initial_dist=initial_dist)
    weights = {scope: sum(int(np.prod(v.get_shape().as_list()))
                          for v in tf.trainable_variables(scope))
               for scope in ("generator", "discriminator")}
    scores, cpu = timed_run(student, teacher.sample_task,
                            lambda task, ret: teacher.episodic_update(
                                task, ret, ret > SUCCESS_THRESHOLD), episodes, at=CHECKPOINTS)
    teacher.tf_session.close()
    teacher.success_buffer.pool.terminate()
    return scores, cpu / episodes * 1e3, weights


def run_ours(seed: int, episodes: int, tma_sizes: bool) -> tuple[list[float], float, str]:
    from benchmarks.bench_teachers import run_one

    params: dict[str, Any] = ({"generator_layers": (256, 256),
                               "discriminator_layers": (128, 128)} if tma_sizes else {})
    res = run_one(("goal-gan", "goal-gan", params, "paper", seed, episodes))
    scores = [res.scores[c // 1000 - 1] for c in CHECKPOINTS if c <= episodes]
    return scores, res.cpu_s / episodes * 1e3, f"origins {res.origins}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkout", type=Path, nargs="?", help="a TeachMyAgent checkout")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--ours", action="store_true", help="run our goal-gan instead")
    p.add_argument("--tma-sizes", action="store_true",
                   help="with --ours: generator (256, 256), discriminator (128, 128)")
    args = p.parse_args(argv)
    if not args.ours and args.checkout is None:
        p.error("give a TeachMyAgent checkout, or --ours")
    cls = None if args.ours else load_reference(args.checkout)
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        scores, ms, note = (run_ours(seed, args.episodes, args.tma_sizes) if cls is None
                      else run_reference(cls, seed, args.episodes))
        rows.append(scores)
        print(f"seed {seed}: % mastered at {list(CHECKPOINTS)}: {scores}, "
              f"teacher CPU {ms:.2f} ms/episode; {note}", flush=True)
    a = np.array(rows)
    sd = a.std(0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
    print("mean ± sd: " + ", ".join(f"{m:.1f} ± {s:.1f}" for m, s in zip(a.mean(0), sd,
                                                                      strict=True)))


if __name__ == "__main__":
    main()
