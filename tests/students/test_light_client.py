"""The light client works with only the ``[client]`` extra installed.

A new virtual environment (no system site-packages) gets exactly the distributions that
``pip install '.[client]'`` would install: the project's base requirements plus the
``client`` extra, resolved recursively from this environment's installed metadata and
linked in (offline, so the test does not depend on PyPI). torch, SB3 and Box2D are not
there, so importing the client must not need them.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

from tests.students.conftest import REPO

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(extras: set[str]) -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return reqs


def _closure(reqs: list[str]) -> dict[str, md.Distribution]:
    """Every installed distribution the requirements need (markers evaluated here)."""
    from packaging.requirements import Requirement

    seen: dict[str, md.Distribution] = {}
    todo = list(reqs)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = _norm(req.name)
        if name == "curriculum-teacher":
            todo += _requirements(set(req.extras))
            continue
        if name in seen:
            continue
        dist = md.distribution(req.name)
        seen[name] = dist
        for sub in dist.requires or []:
            r = Requirement(sub)
            if r.marker is None or any(
                r.marker.evaluate({"extra": e}) for e in req.extras | {""}
            ):
                todo.append(sub)
    return seen


def _link(dists: dict[str, md.Distribution], site: Path) -> None:
    for dist in dists.values():
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops:
            src = base / top
            if top in ("..", "__pycache__") or not src.exists() or (site / top).exists():
                continue
            (site / top).symlink_to(src)


_PROBE = """
import json, sys, time
t = time.perf_counter()
from students.client import TeacherClient
from students.wrappers import CurriculumWrapper, TaskInObservation
from students.sources import HttpTaskSource
from students.taskenv import TaskParamEnv
took = time.perf_counter() - t
heavy = [m for m in ("torch", "stable_baselines3", "Box2D", "envs", "tensorboard", "scipy",
                       "teacher.registry")
         if m in sys.modules]
try:
    import torch  # noqa: F401
    torch_installed = True
except ImportError:
    torch_installed = False
print(json.dumps({"seconds": took, "heavy": heavy, "torch_installed": torch_installed}))
"""


def test_light_client_imports_without_torch_or_sb3(tmp_path: Path) -> None:
    env_dir = tmp_path / "client-venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False, symlinks=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.check_output(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True,
    ).strip())
    dists = _closure(_requirements({"client"}))
    assert "torch" not in dists and "stable-baselines3" not in dists
    _link(dists, site)
    out = subprocess.run(
        [str(py), "-c", _PROBE], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, check=False,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["torch_installed"] is False  # the venv really lacks torch
    assert got["heavy"] == []
    print(f"light client import: {got['seconds']:.3f} s with {sorted(dists)}", file=sys.stderr)
