"""Loading modules of a reference implementation's checkout (outside this repository) by
file path, for the benchmarks that run it beside ours (``bench_*_reference``)."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path


def load_module(name: str, path: Path) -> types.ModuleType:
    """Import the file ``path`` as the module ``name`` (registered in ``sys.modules``, so
    the checkout's own imports of it resolve to it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
