"""Fixed test sets of tasks, shipped as JSON in ``envs/data``.

The JSON files are generated once by :func:`generate_test_set` (run
``python -m envs._generate_data`` to rewrite them) and committed; a test checks that they
still equal the generator's output. Values are rounded to 6 decimals so the files read
the same in any language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np

from envs._tasks import task_spec
from envs.errors import UnknownTestSetError

__all__ = ["generate_test_set", "test_set", "test_set_names", "write_test_sets"]

UNIFORM_SEED = 42  # seed of the ``uniform50`` draws (numpy.random.default_rng)
_DECIMALS = 6

_FILES: Mapping[str, str] = MappingProxyType(
    {"StumpTracks-v0": "stump_tracks.json", "HexagonTracks-v0": "hexagon_tracks.json"}
)
_SETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"StumpTracks-v0": ("uniform50", "grid100"), "HexagonTracks-v0": ("uniform50",)}
)
_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "uniform50": f"50 tasks drawn uniformly in the task box, numpy default_rng({UNIFORM_SEED})",
        "grid100": "10 x 10 grid, both bounds included; first parameter varies slowest",
    }
)


def test_set_names(env_id: str) -> tuple[str, ...]:
    """Names of the test sets ``env_id`` ships, e.g. ``("uniform50", "grid100")``."""
    task_spec(env_id)  # raises UnknownEnvironmentError
    return _SETS[env_id]


def _check_name(env_id: str, name: str) -> None:
    names = test_set_names(env_id)
    if name not in names:
        choices = ", ".join(repr(n) for n in names)
        raise UnknownTestSetError(f"test set for {env_id} must be one of {choices}, got {name!r}")


def generate_test_set(env_id: str, name: str) -> np.ndarray:
    """Compute a test set from its definition (what the JSON files hold).

    Returns:
        array (n, d) float64, tasks in rows, columns in the canonical parameter order.
    """
    _check_name(env_id, name)
    spec = task_spec(env_id)
    low, high = np.array(spec.low), np.array(spec.high)
    if name == "uniform50":
        tasks = np.random.default_rng(UNIFORM_SEED).uniform(low, high, size=(50, spec.dim))
    else:  # grid100
        axes = [np.linspace(lo, hi, 10) for lo, hi in zip(low, high, strict=True)]
        tasks = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, spec.dim)
    return np.round(tasks, _DECIMALS)


def _document(env_id: str) -> dict[str, object]:
    spec = task_spec(env_id)
    return {
        "env_id": env_id,
        "names": list(spec.names),
        "low": list(spec.low),
        "high": list(spec.high),
        "test_sets": {
            name: {
                "description": _DESCRIPTIONS[name],
                "tasks": generate_test_set(env_id, name).tolist(),
            }
            for name in _SETS[env_id]
        },
    }


def _dumps(document: dict[str, object]) -> str:
    """JSON with one task (a flat list of numbers) per line."""
    text = json.dumps(document, indent=1)
    flat = re.compile(r"\[\s*(-?[0-9][^\[\]{}\"]*?)\s*\]")

    def one_line(match: re.Match[str]) -> str:
        return "[" + ", ".join(v.strip() for v in match.group(1).split(",")) + "]"

    return flat.sub(one_line, text) + "\n"


def write_test_sets(directory: Path | None = None) -> list[Path]:
    """Write every environment's test sets as JSON into ``directory`` (``envs/data``)."""
    target = directory or Path(__file__).with_name("data")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for env_id, filename in _FILES.items():
        path = target / filename
        path.write_text(_dumps(_document(env_id)))
        written.append(path)
    return written


def test_set(env_id: str, name: str) -> np.ndarray:
    """A shipped test set, read from the package data.

    Args:
        env_id: ``"StumpTracks-v0"`` or ``"HexagonTracks-v0"``.
        name: one of :func:`test_set_names`; ``"uniform50"`` everywhere, ``"grid100"`` for
            Stump Tracks.

    Returns:
        array (n, d) float64 (a fresh copy), one task per row, columns in the canonical
        order ``envs.task_names(env_id)``.

    Raises:
        UnknownEnvironmentError, UnknownTestSetError.
    """
    _check_name(env_id, name)
    text = resources.files("envs").joinpath("data", _FILES[env_id]).read_text()
    document = json.loads(text)
    return np.array(document["test_sets"][name]["tasks"], dtype=np.float64)


# pytest would otherwise collect these as tests wherever they are imported.
test_set.__test__ = False  # type: ignore[attr-defined]
test_set_names.__test__ = False  # type: ignore[attr-defined]
