"""The notebooks in ``notebooks/`` are committed clean: no outputs, no execution counts,
no saved widget state, and a kernel spec that says which kernel runs them.

The tests execute every notebook (``--nbmake`` in pytest's addopts) without writing the
results back, so a notebook stays clean once committed clean. This file is the check
that it was: a notebook saved from Jupyter after running it fails here, with the command
that strips it.

Outputs are kept out of the repository because they are derived data (they change with
every run, bloat diffs with images, and could carry patient data when someone runs a
notebook on their own cohort); the tests regenerate them on each run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
STRIP = "uv run jupyter nbconvert --clear-output --inplace {path}"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _where(path: Path) -> str:
    return f"notebooks/{path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs_or_execution_counts(path):
    nb = _load(path)
    dirty = []
    for i, cell in enumerate(nb.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            dirty.append(f"cell {i}: {len(cell['outputs'])} outputs")
        if cell.get("execution_count") is not None:
            dirty.append(f"cell {i}: execution count {cell['execution_count']}")
    assert not dirty, (
        f"{_where(path)} was saved after running it ({'; '.join(dirty[:5])}"
        f"{' …' if len(dirty) > 5 else ''}). Fix: " + STRIP.format(path=_where(path))
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_saved_widget_state(path):
    # ipywidgets saves the state of every widget shown in the notebook metadata: outputs too
    assert "widgets" not in _load(path).get("metadata", {}), (
        f"{_where(path)} holds saved widget state. Fix: in Jupyter, Settings → Save Widget "
        "State Automatically off, then clear the outputs and save"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_has_a_kernelspec(path):
    spec = _load(path).get("metadata", {}).get("kernelspec", {})
    assert spec.get("name"), (
        f"{_where(path)} has no kernel spec, so nbmake cannot tell which "
        "kernel runs it. Fix: open it in Jupyter, pick the Python 3 "
        "kernel and save"
    )
    assert spec.get("language", "python") == "python", f"{_where(path)}: {spec}"


def test_the_strip_command_clears_what_the_check_looks_for():
    """The command named in the failure message really cleans a notebook."""
    nbformat = pytest.importorskip("nbformat")
    preprocessors = pytest.importorskip("nbconvert.preprocessors")

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "1 + 1",
        execution_count=3,
        outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)],
    )
    nb.cells = [cell]
    cleaned, _ = preprocessors.ClearOutputPreprocessor().preprocess(nb, {})
    assert cleaned.cells[0].outputs == []
    assert cleaned.cells[0].execution_count is None
