"""Tables of ``benchmarks/bench_parity.py``: per-arm scores and Welch comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from benchmarks._results import markdown_table


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """Mean difference a - b, the bounds of its 95% CI (Welch-Satterthwaite degrees of
    freedom) and the two-sided p-value of Welch's t-test."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(a.mean() - b.mean())
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        return diff, diff, diff, 1.0 if diff == 0 else 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    p = float(2 * stats.t.sf(abs(diff) / se, df))
    return diff, diff - half, diff + half, p


def _ms(a: np.ndarray) -> str:
    return f"{a.mean():.1f} ± {a.std(ddof=1):.1f}"


def compare_table(results: list[dict[str, Any]], arms: list[str], variants: list[str],
                  checkpoints: list[int]) -> str:
    """One row per (variant, arm): scores at the checkpoints and CPU; then one row per
    (variant, arm other than the reference): the difference at the last checkpoint."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        by.setdefault((r["variant"], r["arm"]), []).append(r)

    def at(rs: list[dict[str, Any]], c: int) -> np.ndarray:
        return np.array([r["scores"][c // 1000 - 1] for r in rs])

    rows: list[list[object]] = []
    for v in variants:
        for a in arms:
            rs = by.get((v, a), [])
            if not rs:
                continue
            cpu = np.mean([1000 * r["cpu"] / r["episodes"] for r in rs])
            rows.append([v, a, len(rs), *[_ms(at(rs, c)) for c in checkpoints],
                         f"{cpu:.2f}"])
    scores = markdown_table(["variant", "arm", "seeds", *[f"{c // 1000}k" for c in checkpoints],
                             "CPU s / 1000 ep"], rows)
    last = checkpoints[-1]
    diff_rows: list[list[object]] = []
    for v in variants:
        ref = by.get((v, "reference"))
        if not ref:
            continue
        for a in arms:
            mine = by.get((v, a))
            if a == "reference" or not mine:
                continue
            for c in checkpoints:
                d, lo, hi, pv = welch(at(mine, c), at(ref, c))
                diff_rows.append([v, f"{a} - reference", f"{c // 1000}k", f"{d:+.1f}",
                                  f"[{lo:+.1f}, {hi:+.1f}]", f"{pv:.2f}"])
    diffs = markdown_table(["variant", "difference", "at", "Δ mean", "95% CI", "Welch p"],
                           diff_rows)
    pooled = _pooled(by, arms, variants, last)
    return "\n\n".join(x for x in (scores, diffs, pooled) if x)


def _pooled(by: dict[tuple[str, str], list[dict[str, Any]]], arms: list[str],
            variants: list[str], last: int) -> str:
    """Across variants: the mean of the per-variant differences in units of the
    reference's sd (a pattern of small same-sign gaps shows here)."""
    rows = []
    for a in arms:
        if a == "reference":
            continue
        zs = []
        for v in variants:
            ref, rs = by.get((v, "reference")), by.get((v, a))
            if not ref or not rs:
                continue
            r0 = np.array([r["scores"][last // 1000 - 1] for r in ref])
            r1 = np.array([r["scores"][last // 1000 - 1] for r in rs])
            sd = r0.std(ddof=1)
            if sd > 0:
                zs.append((r1.mean() - r0.mean()) / sd)
        if zs:
            rows.append([f"{a} - reference", len(zs), f"{np.mean(zs):+.2f}",
                         " ".join(f"{z:+.2f}" for z in zs)])
    if not rows:
        return ""
    return markdown_table(["difference", "variants", f"mean Δ / reference sd at "
                           f"{last // 1000}k", "per variant"], rows)


def step_table(rows: list[dict[str, Any]]) -> str:
    """The ALP stream check: per variant, how many of the reference's ALPs ours
    reproduces with each tie rule."""
    out = []
    for r in rows:
        out.append([r["variant"], r["seed"], r["episodes"], r["repeats"],
                    r["differ_latest"], r["differ_earliest"],
                    f"{r['mean_reference']:.4f}", f"{r['mean_latest']:.4f}",
                    f"{r['mean_earliest']:.4f}"])
    return markdown_table(
        ["variant", "seed", "episodes", "exact task repeats", "ALPs differing (ties: latest)",
         "ALPs differing (ties: earliest)", "mean ALP reference", "mean ALP ours (latest)",
         "mean ALP ours (earliest)"], out)
