"""TeachMyAgent's own Setter-Solver on the paper toy student, for comparison with ours.

TeachMyAgent's Setter-Solver is written for TensorFlow 1 and Sonnet 1, which have no
Python 3.11 wheels. This script runs it unchanged from a TeachMyAgent checkout (outside
this repository; nothing of it is copied here) on TensorFlow 2's ``tf.compat.v1`` with
graph mode, and shims at run time the few Sonnet 1 names it uses (``AbstractModule``,
``Linear``, ``nets.MLP``, ``BatchFlatten``) with TF1-style variable scopes and Sonnet's
default initialisers (truncated normal, sd 1/sqrt(fan_in); zero biases).

Usage (a separate environment with tensorflow-cpu and numpy, our repository on the path)::

    PYTHONPATH=. /path/to/tf-venv/bin/python -m benchmarks.bench_setter_reference \\
        /path/to/TeachMyAgent --seeds 3

Success for its judge is ours: normalised return above 0.76 (``SetterSolver``'s default).
"""

from __future__ import annotations

import argparse
import math
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._checkout import load_module as load
from benchmarks._toy_run import timed_run
from teacher.toy import ToyStudent

SUCCESS_THRESHOLD = 0.76


def _tf() -> Any:
    import tensorflow as tf2

    tf = tf2.compat.v1
    tf.disable_v2_behavior()
    tf.disable_v2_tensorshape()
    return tf


def _sonnet_shim(tf: Any) -> types.ModuleType:
    """The Sonnet 1 names the reference uses, on tf.compat.v1 variable scopes."""
    snt = types.ModuleType("sonnet")
    stack: list[Any] = []  # modules whose _build is running

    class AbstractModule:
        def __init__(self, custom_getter: Any = None, name: str = "module") -> None:
            parent = stack[-1] if stack else None
            counts = parent._child_counts if parent is not None else _ROOT_COUNTS
            n = counts.get(name, 0)
            counts[name] = n + 1
            self._unique = name if n == 0 else f"{name}_{n}"
            self._original_name = self._unique
            self._scope: Any = None
            self._child_counts: dict[str, int] = {}

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            ctx = (tf.variable_scope(self._unique, reuse=tf.AUTO_REUSE) if self._scope is None
                   else tf.variable_scope(self._scope, reuse=tf.AUTO_REUSE))
            with ctx as scope:
                if self._scope is None:
                    self._scope = scope
                    self._original_name = scope.name
                self._child_counts = {}  # children built again get the same names
                stack.append(self)
                try:
                    return self._build(*args, **kwargs)  # type: ignore[attr-defined]
                finally:
                    stack.pop()

    _ROOT_COUNTS: dict[str, int] = {}

    class Linear(AbstractModule):
        def __init__(self, output_size: int, initializers: Any = None,
                     name: str = "linear") -> None:
            super().__init__(name=name)
            self._out = output_size
            self._init = initializers or {}

        def _build(self, x: Any) -> Any:
            fan_in = int(x.get_shape()[1])
            w_init = self._init.get("w") or tf.truncated_normal_initializer(
                stddev=1.0 / math.sqrt(fan_in), dtype=x.dtype)
            w = tf.get_variable("w", [fan_in, self._out], dtype=x.dtype, initializer=w_init)
            b = tf.get_variable("b", [self._out], dtype=x.dtype,
                                initializer=tf.zeros_initializer())
            return tf.matmul(x, w) + b

    class MLP(AbstractModule):
        def __init__(self, output_sizes: list[int], name: str = "mlp") -> None:
            super().__init__(name=name)
            self._sizes = list(output_sizes)

        def _build(self, x: Any) -> Any:
            for i, size in enumerate(self._sizes):
                x = Linear(size, name=f"linear_{i}")(x)
                if i < len(self._sizes) - 1:
                    x = tf.nn.relu(x)
            return x

    class BatchFlatten:
        def __call__(self, x: Any) -> Any:
            return tf.reshape(x, [-1, int(np.prod(x.get_shape().as_list()[1:]))])

    snt.AbstractModule = AbstractModule  # type: ignore[attr-defined]
    snt.Linear = Linear  # type: ignore[attr-defined]
    snt.BatchFlatten = BatchFlatten  # type: ignore[attr-defined]
    snt.nets = types.SimpleNamespace(MLP=MLP)  # type: ignore[attr-defined]
    return snt


def load_reference(checkout: Path) -> Any:
    """TeachMyAgent's SetterSolver class, its imports shimmed."""
    tf = _tf()
    sys.modules["tensorflow"] = tf
    sys.modules["sonnet"] = _sonnet_shim(tf)
    root = checkout / "TeachMyAgent" / "teachers"
    for pkg in ("TeachMyAgent", "TeachMyAgent.teachers", "TeachMyAgent.teachers.algos",
                "TeachMyAgent.teachers.utils"):
        sys.modules.setdefault(pkg, types.ModuleType(pkg))
    load("TeachMyAgent.teachers.algos.AbstractTeacher", root / "algos" / "AbstractTeacher.py")
    load("TeachMyAgent.teachers.utils.setter_solver_utils",
         root / "utils" / "setter_solver_utils.py")
    return load("TeachMyAgent.teachers.algos.setter_solver",
                root / "algos" / "setter_solver.py").SetterSolver


def run(cls: Any, seed: int, episodes: int) -> tuple[list[float], float]:
    import tensorflow as tf  # the shimmed compat.v1

    tf.reset_default_graph()
    student = ToyStudent(random_state=seed)
    # What its experiment scripts pass (run_utils/teacher_args_handler.py).
    teacher = cls([0.0, 0.0], [1.0, 1.0], seed=seed + 1,  # its seed 0 means "random"
                  env_reward_lb=0.0, env_reward_ub=1.0, update_frequency=100,
                  setter_loss_noise_ub=0.05, setter_hidden_size=128)
    scores, cpu = timed_run(student, teacher.sample_task,
                            lambda task, ret: teacher.episodic_update(
                                task, ret, ret > SUCCESS_THRESHOLD), episodes, every=5000)
    teacher.tf_session.close()
    return scores, cpu / episodes * 1e3


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkout", type=Path, help="a TeachMyAgent checkout")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--episodes", type=int, default=20_000)
    args = p.parse_args(argv)
    cls = load_reference(args.checkout)
    rows = []
    for seed in range(args.seeds):
        scores, ms = run(cls, seed, args.episodes)
        rows.append(scores)
        print(f"seed {seed}: % mastered every 5k {scores}, teacher CPU {ms:.2f} ms/episode",
              flush=True)
    a = np.array(rows)
    print("mean ± sd (5k, 10k, 15k, 20k): " + ", ".join(
        f"{m:.1f} ± {s:.1f}" for m, s in zip(a.mean(0), a.std(0, ddof=1) if len(a) > 1
                                             else np.zeros(a.shape[1]), strict=True)))


if __name__ == "__main__":
    main()
