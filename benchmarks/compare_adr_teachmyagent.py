"""Our ``adr`` against TeachMyAgent's own ADR class on the paper's toy student.

TeachMyAgent (flowersteam/TeachMyAgent) is not a dependency and none of its code is in
this repository: give the path to a checkout of it and this script imports its single
module ``TeachMyAgent/teachers/algos/adr.py`` (and the base class it derives from) at run
time. That module imports ``gym.spaces.Box``; gym is not installed here, so a shim maps it
to gymnasium's ``Box`` (the same class in gym's successor: ``seed``, float32 ``sample``).

Both teachers get the same settings in their own units: thresholds 0.66 / 0.30 on the
toy student's return (already in [0, 1]), a step of 1/30 of the unit range, boundary
sampling probability 0.7, queues of 10, start at the low corner (0, 0). Seeds start at 1
because TeachMyAgent replaces a seed of 0 by a random one.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.compare_adr_teachmyagent --tma PATH/TO/TeachMyAgent
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._results import markdown_table, write_section
from benchmarks._toy_run import timed_run
from teacher import ToyStudent, make_teacher

CHECKPOINTS = (5_000, 10_000, 20_000)
SETTINGS = {"upper": 0.66, "lower": 0.30, "step": 1 / 30, "p": 0.7, "queue": 10}


class _SeededOnceBox:
    """Mixin for the diagnosis: ``seed`` keeps the generator a seed first made, so a box
    rebuilt with the same seed continues its random stream instead of restarting it."""

    _streams: dict[Any, Any] = {}

    def seed(self, seed: Any = None) -> list[Any]:
        stream = self._streams.get(seed)
        if stream is None:
            super().seed(seed)  # type: ignore[misc]
            self._streams[seed] = self.np_random  # type: ignore[attr-defined]
        else:
            self._np_random = stream
        return [seed]


def load_tma_adr(root: Path, *, float64: bool = False, seed_once: bool = False) -> type:
    """TeachMyAgent's ADR class, imported from the file under ``root`` with shims for
    the packages it names (gym; the TeachMyAgent package, whose __init__ pulls torch).

    For the diagnosis only, ``float64`` runs its source with float64 instead of float32
    bounds, and ``seed_once`` keeps one random stream across its rebuilt boxes."""
    algos = root / "TeachMyAgent" / "teachers" / "algos"
    if not (algos / "adr.py").is_file():
        raise SystemExit(f"--tma: no TeachMyAgent/teachers/algos/adr.py under {root}")
    import gymnasium.spaces

    gym = types.ModuleType("gym")
    gym.spaces = gymnasium.spaces  # type: ignore[attr-defined]
    sys.modules.setdefault("gym", gym)
    sys.modules.setdefault("gym.spaces", gymnasium.spaces)
    for name in ("TeachMyAgent", "TeachMyAgent.teachers", "TeachMyAgent.teachers.algos"):
        pkg = types.ModuleType(name)
        pkg.__path__ = []  # a namespace stand-in: nothing of the real package is run
        sys.modules.setdefault(name, pkg)

    def load(modname: str, path: Path, source: str | None = None) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(modname, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        if source is None:
            spec.loader.exec_module(module)
        else:
            exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102
        return module

    load("TeachMyAgent.teachers.algos.AbstractTeacher", algos / "AbstractTeacher.py")
    source = (algos / "adr.py").read_text()
    if float64:
        source = source.replace("np.float32", "np.float64")
    name = f"TeachMyAgent.teachers.algos.adr_{int(float64)}{int(seed_once)}"
    module = load(name, algos / "adr.py", source)
    if seed_once:
        module.Box = type("Box", (_SeededOnceBox, gymnasium.spaces.Box), {})  # type: ignore[attr-defined]
    cls: type = module.ADR
    return cls


def run(tma_cls: type | None, seed: int, episodes: int) -> tuple[list[float], float]:
    """Our teacher (``tma_cls`` None) or TeachMyAgent's class on one toy student: scores
    at CHECKPOINTS and the teacher's CPU seconds."""
    student = ToyStudent(random_state=seed)
    s = SETTINGS
    teacher: Any
    if tma_cls is None:
        teacher = make_teacher("adr", student.space, random_state=seed,
                               upper_threshold=s["upper"], lower_threshold=s["lower"],
                               step_size=s["step"], boundary_sampling_p=s["p"],
                               queue_len=s["queue"])
        sample, update = teacher.sample_task, teacher.update
    else:
        teacher = tma_cls([0.0, 0.0], [1.0, 1.0], seed=seed, env_reward_lb=0.0,
                          env_reward_ub=1.0, step_size=s["step"], max_reward_thr=s["upper"],
                          min_reward_thr=s["lower"],
                          initial_dist={"mean": np.zeros(2), "variance": np.eye(2)},
                          boundary_sampling_p=s["p"], queue_len=s["queue"])
        sample = teacher.sample_task

        def update(task: Any, ret: float) -> None:
            teacher.episodic_update(task, ret, False)

    return timed_run(student, sample, update, episodes, at=CHECKPOINTS)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tma", type=Path, required=True, help="path to a TeachMyAgent checkout")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--diagnose", action="store_true",
                   help="also run TeachMyAgent's class with float64 bounds, and with float64 "
                   "bounds and one random stream (where a gap between the two comes from)")
    p.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = p.parse_args(argv)
    kinds: list[tuple[str, type | None]] = [
        ("ours (`adr`)", None), ("TeachMyAgent `ADR`", load_tma_adr(args.tma))]
    if args.diagnose:
        kinds += [
            ("TeachMyAgent `ADR`, float64 bounds", load_tma_adr(args.tma, float64=True)),
            ("TeachMyAgent `ADR`, float64 bounds, one random stream",
             load_tma_adr(args.tma, float64=True, seed_once=True)),
        ]
    seeds = list(range(1, args.seeds + 1))
    episodes = CHECKPOINTS[-1]
    start = time.time()
    rows, final = [], []
    for label, cls in kinds:
        results = [run(cls, s, episodes) for s in seeds]
        print(f"  {label}: done ({time.time() - start:.0f} s)", file=sys.stderr)
        scores = np.array([r[0] for r in results])
        cpu_ms = np.mean([r[1] for r in results]) / episodes * 1000
        rows.append([label, *[f"{m:.1f} ± {sd:.1f}" for m, sd in
                              zip(scores.mean(0), scores.std(0, ddof=1), strict=True)],
                     f"{cpu_ms:.3f}"])
        final.append(scores[:, -1])
    ours, theirs = final[0], final[1]
    gap = ours.mean() - theirs.mean()
    verdict = ("within one sd of TeachMyAgent's or better" if gap >= -theirs.std(ddof=1)
               else "MORE than one sd below TeachMyAgent's")
    parts = [
        f"Paper toy student (ALGORITHMS.md §4), {episodes:,} episodes, seeds "
        f"{seeds[0]}..{seeds[-1]}, mean ± sd of % cells mastered; both teachers with "
        f"thresholds {SETTINGS['upper']} / {SETTINGS['lower']}, step 1/30 of the range, "
        f"boundary_sampling_p {SETTINGS['p']}, queue_len {SETTINGS['queue']}, start (0, 0). "
        "TeachMyAgent's class is imported from its checkout at run time (gym shimmed by "
        "gymnasium's Box). CPU = teacher process time per episode (sample + update). "
        "The 2 cores were shared with other jobs.",
        markdown_table(["teacher", *[f"{c // 1000}k" for c in CHECKPOINTS],
                        "CPU ms / episode"], rows),
        f"Ours at 20k: {ours.mean():.1f} against {theirs.mean():.1f} ± "
        f"{theirs.std(ddof=1):.1f} ({gap:+.1f}): {verdict}.",
    ]
    if args.diagnose:
        parts.append(
            "Diagnosis rows: TeachMyAgent keeps its box in float32, where every third "
            "step of 1/30 puts a side just above a cell edge (0.10000001, 0.20000000298, "
            "...), so its boundary tasks there fall in the next cell, not yet learnable; "
            "in float64 half of those sides land just below the edge (0.19999999999999998), "
            "in the cell being learnt. It also reseeds its box's generator with the same "
            "seed at every move, so each new box replays the same uniform draws. The rows "
            "run its source with float64 bounds, then also with one random stream.")
    parts.append(f"Wall time {time.time() - start:.0f} s. Run: `.venv/bin/python -m "
                 "benchmarks.compare_adr_teachmyagent --tma PATH [--diagnose]`.")
    body = "\n\n".join(parts)
    print(body)
    if not args.no_write:
        write_section("adr-teachmyagent", "ADR against TeachMyAgent's ADR (toy student)", body)


if __name__ == "__main__":
    main()
