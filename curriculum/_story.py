"""What a short run can show: the teacher moving towards tasks where students progress.

A few minutes of PPO are far from mastering any test task (the paper trains each walker
for 20 million steps), so a demo's mastery is 0% and says little. What it can show is
the teacher at work: which share of its tasks come from its Gaussians (drawn where it
measured learning progress), how much progress those tasks showed compared with random
ones, where in the task space it went, and how training returns changed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_story"]


def _share(frame: Any, prefix: str) -> float:
    return 100.0 * float(frame["origin"].str.startswith(prefix).mean()) if len(frame) else 0.0


def run_story(log: Any) -> list[str]:
    """Lines describing ``log`` (a teacher.analysis.CurriculumLog): first third of the
    training episodes against the last third."""
    res = log.results.sort_values("episode")
    n = len(res)
    if n < 6:
        return [f"only {n} training episodes were reported: too few to show a trend"]
    third = n // 3
    first, last = res.iloc[:third], res.iloc[-third:]
    lines = [
        f"training return, mean over episodes: {first['return'].mean():.1f} (first "
        f"{third}) -> {last['return'].mean():.1f} (last {third})",
        f"tasks drawn from the teacher's Gaussians, where it measured progress: "
        f"{_share(first, 'gaussian'):.0f}% -> {_share(last, 'gaussian'):.0f}%",
    ]
    gauss = last[last["origin"].str.startswith("gaussian")]
    other = last[~last["origin"].str.startswith("gaussian")]
    if len(gauss) and len(other):
        lines.append(
            f"learning progress (ALP) of the last {third} episodes' tasks: "
            f"{gauss['alp'].mean():.3f} on Gaussian tasks vs {other['alp'].mean():.3f} "
            "on the others"
        )
    for name in log.param_names[:2]:
        lines.append(f"mean {name} of the tasks: {first[name].mean():.2f} -> "
                     f"{last[name].mean():.2f}")
    return lines
