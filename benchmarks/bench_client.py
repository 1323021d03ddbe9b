"""Import time of the light client against the SB3 worker, each in a fresh interpreter.

    python -m benchmarks.bench_client [--runs 7]

The light client (`students.client`, `students.wrappers`, `students.sources`,
`students.taskenv`) needs only the `[client]` extra; the target is <= 0.5 s. Rewrites the
`client` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks._results import markdown_table, write_section

PROBE = """
import json, sys, time
t = time.perf_counter()
{imports}
print(json.dumps({{"s": time.perf_counter() - t,
                   "torch": "torch" in sys.modules,
                   "sb3": "stable_baselines3" in sys.modules}}))
"""

CASES = {
    "light client (TeacherClient, CurriculumWrapper, HttpTaskSource, TaskParamEnv)": (
        "from students.client import TeacherClient\n"
        "from students.wrappers import CurriculumWrapper\n"
        "from students.sources import HttpTaskSource\n"
        "from students.taskenv import TaskParamEnv"
    ),
    "`import students` (lazy package)": "import students",
    "SB3 worker (`from students import run_student`)": "from students import run_student",
}


def _once(imports: str) -> dict[str, float | bool]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports)],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    a = p.parse_args()
    rows = []
    for name, imports in CASES.items():
        _once(imports)  # warm the file cache
        runs = [_once(imports) for _ in range(a.runs)]
        med = statistics.median(float(r["s"]) for r in runs)
        loads = ("torch, SB3" if runs[0]["sb3"] else "torch" if runs[0]["torch"] else "neither")
        rows.append([name, f"{med:.3f}", f"{min(float(r['s']) for r in runs):.3f}", loads])
        print(f"{name}: median {med:.3f} s ({loads})")
    body = (
        f"Import time in a fresh interpreter, median and fastest of {a.runs} runs after one "
        "warm-up, in the full development environment (torch and SB3 installed, so the "
        "last column shows what each import actually loads). The machine's 2 cores were "
        "shared with other jobs. Target for the light client: <= 0.5 s. "
        "tests/students/test_light_client.py also imports it in a venv holding only the "
        "`[client]` extra.\n\n"
        + markdown_table(["import", "median s", "fastest s", "loads torch / SB3"], rows)
    )
    write_section("client", "Light client: import time", body)


if __name__ == "__main__":
    main()
