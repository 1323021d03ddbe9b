"""notebooks/replay_curriculum.ipynb runs top to bottom on a generated log, so it cannot
rot. The kernel is this interpreter (its venv), declared in a temporary kernelspec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "replay_curriculum.ipynb"
KERNEL = "curriculum-teacher-test"


@pytest.mark.timeout(400)
def test_replay_notebook_executes(toy_run, tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "curriculum-teacher (test)", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("CURRICULUM_LOG", str(toy_run.path))

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name=KERNEL, timeout=240,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # tasks by origin and by time, 2 fits, ALP, mastery, live vs counterfactual, its fit;
    # part 2: mastery over seeds, task distributions
    assert len(images) == 10
    assert any("image/gif" in o.get("data", {}) for o in outputs)
    text = "".join(o.get("text", "") for o in outputs)
    assert str(toy_run.path) in text
    assert "same settings reproduce the run: True" in text
    assert "'final_mastery.md', 'mastery.png', 'mastery.svg', 'tasks.png'" in text
    tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert all(name in tables for name in ("random", "riac", "alp-gmm"))
