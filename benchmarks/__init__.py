"""Benchmark programs. Run them as modules from the repository root, e.g.
``python -m benchmarks.bench_teachers --quick`` (the Makefile's ``bench-*`` targets do);
each prints its tables and writes them to ``benchmarks/RESULTS.md``.

Importing this package (``python -m`` does, before the benchmark's own imports) gives
every benchmark process and its children one BLAS/OpenMP thread unless the caller set
another number, so that timings do not depend on the machine's core count.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
