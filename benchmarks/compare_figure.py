"""The comparison figure of the README: teachers on the paper's toy student over seeds,
through ``curriculum toy`` logs and ``teacher.analysis.compare``.

    python -m benchmarks.compare_figure [--episodes 10000] [--seeds 3] [--out docs/img]

Writes compare-mastery.png, compare-tasks.png and compare-final_mastery.md into --out
(the logs go to a temporary folder), prints the final-mastery table and records it in
benchmarks/RESULTS.md (section "compare-figure"; --no-write to skip).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from curriculum._toy import run_toy
from teacher.analysis import compare

TEACHERS = ("random", "riac", "alp-gmm", "alp-gmm+")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        for teacher in TEACHERS:
            for seed in range(args.seeds):
                run_toy(teacher, args.episodes, seed, logs / teacher, {})
        res = compare([logs], logs / "figures", formats="png", dpi=110)
        args.out.mkdir(parents=True, exist_ok=True)
        for name in ("mastery.png", "tasks.png", "final_mastery.md"):
            shutil.copy(logs / "figures" / name, args.out / f"compare-{name}")
    assert res.table is not None
    seconds = time.perf_counter() - t0
    print(res.table[["group", "n", "text", "at"]].to_string(index=False))
    print(f"{len(TEACHERS) * args.seeds} runs of {args.episodes} episodes in "
          f"{seconds:.0f} s; figures in {args.out}")
    if not args.no_write:
        from benchmarks._results import markdown_table, write_section

        rows = [[r.group, r.text, r.n] for r in res.table.itertuples()]
        write_section("compare-figure", "Comparison figure: teachers on the toy student", f"""
`python -m benchmarks.compare_figure` (also `make screenshots`): `curriculum toy` logs of
{len(TEACHERS)} teachers x {args.seeds} seeds x {args.episodes:,} episodes (default
hyper-parameters), compared with `teacher.analysis.compare`; the figures are
`docs/img/compare-*.png` in the README. {seconds:.0f} s on the shared 2 cores.

% of the 10 x 10 cells mastered at episode {args.episodes:,} (mean ± sd over seeds):

{markdown_table(["teacher", "final mastery (%)", "seeds"], rows)}
""")


if __name__ == "__main__":
    main()
