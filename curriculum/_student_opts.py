"""Turning the ``curriculum student`` options into hyper-parameters and task spaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def parse_bounds(text: str | None, option: str) -> tuple[float, float] | None:
    """``"low:high"`` -> (low, high); ValueError naming the option."""
    if text is None:
        return None
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError
        lo, hi = float(low), float(high)
    except ValueError:
        raise ValueError(f"{option} must look like low:high (numbers), got {text!r}") from None
    if not lo < hi:
        raise ValueError(f"{option} needs low < high, got {text!r}")
    return lo, hi


def task_space(items: list[str] | None) -> dict[str, tuple[float, float]]:
    from students.taskenv import parse_task_param

    space: dict[str, tuple[float, float]] = {}
    for item in items or []:
        name, bounds = parse_task_param(item)
        if name in space:
            raise ValueError(f"--task-param {name} is given twice")
        space[name] = bounds
    return space


def hyperparams(
    *, algo: str, env: str, paper_sac: bool, preset: str | None, file: Path | None,
    algo_kwargs: list[str] | None,
) -> Any:
    """Hyper-parameters from, in increasing precedence: --paper-sac, --preset,
    --hyperparams FILE (the section for ``env``), --algo-kwargs."""
    from students.hyperparams import (
        Hyperparams,
        load_hyperparams_file,
        parse_algo_kwargs,
        parse_hyperparams,
    )
    from students.hyperparams import preset as named_preset

    hp = Hyperparams()
    if paper_sac:
        from students.algos import paper_sac_kwargs

        hp.update(parse_hyperparams(paper_sac_kwargs(), "--paper-sac"))
    if preset is not None:
        hp.update(named_preset(preset, algo))
    if file is not None:
        hp.update(load_hyperparams_file(file, env))
    hp.update(parse_algo_kwargs(algo_kwargs))
    return hp
