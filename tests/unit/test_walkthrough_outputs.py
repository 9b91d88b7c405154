"""The walkthrough notebook as committed: its outputs are those of its code, it reads on GitHub without running, and
it stays small."""

from __future__ import annotations

import base64
import copy

import nbformat

from tests.notebook import WALKTHROUGH, code_cells, stale_cells, stamp

NOTEBOOK = nbformat.read(WALKTHROUGH, as_version=4)
MAX_BYTES = 1_000_000  # the limit: small enough to read on GitHub and to diff
FIGURE_LIMIT = 100_000  # bytes per figure: a PNG at a modest size (each is 10-45 kB at 72 dpi)


def test_every_code_cell_holds_the_outputs_of_its_committed_source() -> None:
    assert stale_cells(NOTEBOOK) == [], "run `python -m tests.notebook` and commit docs/walkthrough.ipynb"


def test_a_code_cell_edited_after_the_notebook_ran_is_named() -> None:
    edited = copy.deepcopy(NOTEBOOK)
    number, cell = code_cells(edited)[3]
    cell.source += "\nprint('one more line')"
    assert stale_cells(edited) == [f"cell {number}: its source changed after its outputs were made"]
    stamp(edited)  # what regenerating does, once the cell has run again
    assert stale_cells(edited) == []


def test_cells_that_never_ran_or_ran_out_of_order_are_found() -> None:
    never = copy.deepcopy(NOTEBOOK)
    number, cell = code_cells(never)[0]
    cell.execution_count, cell.outputs = None, []
    assert stale_cells(never) == [f"cell {number}: never executed"]
    swapped = copy.deepcopy(NOTEBOOK)
    (_, first), (_, second) = code_cells(swapped)[:2]
    first.execution_count, second.execution_count = second.execution_count, first.execution_count
    assert "out of order" in stale_cells(swapped)[0]


def test_the_notebook_reads_without_running_small_with_png_figures() -> None:
    assert WALKTHROUGH.stat().st_size < MAX_BYTES
    figures = [output.data for _, cell in code_cells(NOTEBOOK) for output in cell.outputs if "data" in output]
    pictures = [data for data in figures if any(kind.startswith("image/") for kind in data)]
    assert len(pictures) >= 4, "the digits, the steps side by side, the verdict and the pictures, as figures"
    for data in pictures:
        assert [kind for kind in data if kind.startswith("image/")] == ["image/png"]
        assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
        assert len(data["image/png"]) * 3 / 4 < FIGURE_LIMIT
    assert not any(output.output_type == "error" for _, cell in code_cells(NOTEBOOK) for output in cell.outputs)
