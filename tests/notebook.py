"""The walkthrough notebook (docs/walkthrough.ipynb): executing it in a real kernel, and keeping its committed outputs
the outputs of its committed code.

Each code cell carries the SHA-256 of its source in its metadata ("source_sha256"), written when the notebook is
executed and saved by this module; a code cell edited afterwards no longer matches, and the tests say which. After
editing a cell (or the library under it):

    python -m tests.notebook                 # formats the cells (ruff), runs the notebook top to bottom, saves it

It runs on the pipeline's outputs in this checkout (`dvc repro` first), as a reader's Jupyter does: from docs/.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mnist_numpy_vs_torch.atomic import write_text
from tests.project import ROOT

log = logging.getLogger(__name__)

WALKTHROUGH = ROOT / "docs" / "walkthrough.ipynb"
HASH_KEY = "source_sha256"
CELL_TIMEOUT = 600  # seconds: a hung cell fails the run rather than the whole suite's time


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def code_cells(notebook: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """(number from 1, cell) of each code cell, in order."""
    return [(i, cell) for i, cell in enumerate(notebook.cells, start=1) if cell.cell_type == "code"]


def stale_cells(notebook: nbformat.NotebookNode) -> list[str]:
    """The code cells whose outputs are not those of their source: edited since the notebook was executed and
    saved (their source hash differs from the one stored), never executed, or executed out of order."""
    stale = []
    for number, cell in code_cells(notebook):
        if cell.metadata.get(HASH_KEY) != source_hash(cell.source):
            stale.append(f"cell {number}: its source changed after its outputs were made")
        elif cell.execution_count is None:
            stale.append(f"cell {number}: never executed")
    counts = [cell.execution_count for _, cell in code_cells(notebook)]
    if not stale and counts != list(range(1, len(counts) + 1)):
        stale.append(f"the code cells ran out of order or not in one run (execution counts {counts})")
    return stale


def execute(path: Path, working_dir: Path) -> tuple[nbformat.NotebookNode, float]:
    """The notebook at `path` run top to bottom in a fresh Python kernel started in `working_dir`; stops at the
    first cell that raises (nbclient's CellExecutionError names it). Returns it with its outputs, and the seconds
    it took (the kernel's start included)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_dir)}},
        record_timing=False,  # no timestamps in the committed file: a rerun changes only what it computes
    )
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def stamp(notebook: nbformat.NotebookNode) -> None:
    """Store each code cell's source hash beside the outputs just made from it."""
    for _, cell in code_cells(notebook):
        cell.metadata[HASH_KEY] = source_hash(cell.source)


def regenerate(path: Path = WALKTHROUGH) -> float:
    """Format the notebook's cells (ruff rewrites the file in place), execute it from its folder, and save it with
    its outputs and source hashes. When a cell fails, no output is written: the formatted cells then no longer match
    their stored hashes, and the tests say so until a run succeeds."""
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", str(path)], check=True)
    notebook, seconds = execute(path, path.parent)
    stamp(notebook)
    write_text(path, nbformat.writes(notebook) + "\n")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", nargs="?", type=Path, default=WALKTHROUGH)
    args = parser.parse_args(argv)
    seconds = regenerate(args.notebook.resolve())
    size = args.notebook.stat().st_size
    print(f"{args.notebook}: executed in {seconds:.1f} s and saved with its outputs ({size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
