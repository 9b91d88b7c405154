"""The walkthrough notebook runs top to bottom, in a real kernel, on what `dvc repro` leaves; and where the pipeline
has not run, it says so in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from tests.notebook import WALKTHROUGH, code_cells, execute
from tests.project import ROOT

CODE = ("mnist_numpy_vs_torch", "tests", "benchmarks", "docs", "dvc.yaml")  # what the notebook imports and is
OUTPUTS = ("data", "models", "metrics", "params.yaml")  # what it reads of a pipeline's run (the params it ran with)


def project(code: Path, outputs: Path, destination: Path) -> Path:
    """A project folder of links: this checkout's code and notebook beside another folder's pipeline outputs (the
    reproduced workspace may be a clone of the last commit, whose code is not the checkout's)."""
    destination.mkdir()
    for name in CODE:
        (destination / name).symlink_to(code / name)
    for name in OUTPUTS:
        (destination / name).symlink_to(outputs / name)
    return destination


@pytest.mark.slow
def test_the_walkthrough_runs_top_to_bottom_on_the_pipelines_outputs(workspace: Path, tmp_path: Path) -> None:
    """Every cell runs without an error, its own checks included (the gradient checks pass and the mutants fail
    them, float64 NumPy and PyTorch agree within the parity test's bound, the verdict recomputed from metrics/
    is the evaluate stage's, a photo of a test digit is read as its array)."""
    folder = project(ROOT, workspace, tmp_path / "project")
    notebook, _ = execute(WALKTHROUGH, folder / "docs")
    outputs = [output for _, cell in code_cells(notebook) for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs)
    assert "FAILS" in text and "passes" in text  # a mutant caught, and the layers passing
    assert sum("image/png" in output.get("data", {}) for output in outputs) >= 4


@pytest.mark.slow
def test_without_the_pipelines_outputs_it_says_to_run_dvc_repro_first(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "docs").mkdir()
    notebook = tmp_path / "docs" / WALKTHROUGH.name
    shutil.copyfile(WALKTHROUGH, notebook)
    with pytest.raises(CellExecutionError) as failure:
        execute(notebook, notebook.parent)
    last_line = str(failure.value).strip().splitlines()[-1]
    assert "data/prepared/facts.json" in last_line and "run `dvc repro` first" in last_line, last_line
