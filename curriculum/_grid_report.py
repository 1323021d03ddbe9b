"""The grid's results in one place: the teacher × seed table (final mastery, episodes,
steps/s, replay check) as Markdown and CSV, and the mastery-over-steps figure comparing
teachers (mean and band over seeds, :func:`teacher.analysis.compare`)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curriculum.grid import GridSpec, RunResult

__all__ = ["write_report"]


def _rows(runs: Sequence[RunResult]) -> list[dict[str, Any]]:
    return [{
        "teacher": r.teacher, "walker": r.walker, "seed": r.seed,
        "final_mastery_pct": "" if r.final_mastery is None else f"{r.final_mastery:.1f}",
        "episodes": r.episodes, "steps": r.steps,
        "steps_per_s": f"{r.steps_per_second:.0f}", "worker_starts": r.worker_starts,
        "replay": "exact" if r.replay_ok else "FAILED", "error": r.error or "",
    } for r in runs]


def write_report(spec: GridSpec, runs: Sequence[RunResult],
                 echo: Callable[[str], None] = print) -> list[Path]:
    """Write ``grid/table.md``, ``grid/table.csv`` and the comparison figure under the
    grid's storage path, print the table, and return the files written."""
    out = spec.storage / "grid"
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(runs)
    with (out / "table.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cols = [c for c in rows[0] if c != "error" or any(r["error"] for r in rows)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    (out / "table.md").write_text("\n".join(lines) + "\n")
    for line in lines:
        echo(line)
    files = [out / "table.md", out / "table.csv"]
    logs = [spec.storage / "runs" / r.name / "events.jsonl" for r in runs]
    logs = [p for p in logs if p.exists()]
    try:
        from teacher.analysis import compare
    except ImportError as exc:
        echo(f"no figure: the analysis extra is missing ({exc})")
        return files
    if logs:
        result = compare(logs, out, label="{teacher}")
        files += result.files
        for name, why in result.skipped.items():
            echo(f"skipped {name}: {why}")
    for p in files:
        echo(f"wrote {p}")
    return files
