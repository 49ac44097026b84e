"""The review notebooks run top to bottom against the tiny fixture run, and stay free of their own logic.

They are executed in memory (nothing is saved back), with the working directory at the project root.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_STORED_BYTES = 400_000  # outputs are saved; keep them reviewable


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_dataset.ipynb", "02_experiments.ipynb", "03_articles.ipynb",
                                           "04_archive.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, trained_run, monkeypatch):
    monkeypatch.setenv("STANCELAB_RUNS", str(trained_run))
    monkeypatch.setenv("STANCELAB_ROOT", str(ROOT))
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first failing cell
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert outputs and not [out for out in outputs if out["output_type"] == "error"]
    assert f"runs: {trained_run.name}" in _text(notebook.cells[1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_defines_no_logic(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            nodes = ast.walk(ast.parse(cell.source))
            defined = [type(n).__name__ for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
            assert not defined, f"{path.name}: cell {cell.get('id')} defines {defined}; move it to stancelab.review"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_is_executed_and_small(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") for cell in code), f"{path.name}: save it with outputs (see notebooks/README)"
    assert not [o for cell in code for o in cell.outputs if o["output_type"] == "error"]
    assert "STANCELAB_RUNS" in code[0].source and "STANCELAB_ROOT" in code[0].source
    assert path.stat().st_size < MAX_STORED_BYTES


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out["output_type"] == "stream")


def test_notebooks_are_valid_json_with_a_python3_kernel():
    for path in NOTEBOOKS:
        metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        assert metadata["kernelspec"]["name"] == "python3"
