"""Where `mnist-predict` and its server find the trained models and the prepared data, from any folder.

The project is the checkout a `dvc repro` (or `dvc pull`) filled: a folder holding dvc.yaml and this package. It is,
in order: the folder `--project` names; the current folder or the nearest folder above it that is one; the checkout
this package was installed from (`pip install -e .` leaves the package there). When none is found, the error names
every folder looked in.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.folders import model_dir, trained_seeds

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[1]
MODELS = Path("models")
PREPARED = Path("data/prepared")


def is_project(folder: Path) -> bool:
    return (folder / "dvc.yaml").is_file() and (folder / PACKAGE.name).is_dir()


def find_project(given: Path | None = None, here: Path | None = None, checkout: Path = PACKAGE.parent) -> Path:
    """The project's root folder: `given` (which must be one), else `here` (the current folder) or a folder above
    it, else `checkout`."""
    if given is not None:
        if not is_project(given):
            raise PipelineError(f"{given}: not a checkout of this project (no dvc.yaml and {PACKAGE.name}/ in it)")
        return given
    here = (here or Path.cwd()).resolve()
    for folder in (here, *here.parents, checkout):
        if is_project(folder):
            log.debug("project: %s", folder)
            return folder
    raise PipelineError(
        f"no checkout of this project in {here} or any folder above it, nor at {checkout}, where this package was "
        "installed from: run mnist-predict in the repository, or give --project DIR"
    )


def data_folders(
    project: Path | None, models_dir: Path | None, prepared_dir: Path | None, here: Path | None = None
) -> tuple[Path, Path]:
    """models/ and data/prepared/: the folders given, else the project's. The project is looked for only when a
    folder is not given."""
    if models_dir is not None and prepared_dir is not None:
        return models_dir, prepared_dir
    root = find_project(project, here)
    return models_dir or root / MODELS, prepared_dir or root / PREPARED


def default_seed(models_dir: Path, architectures: tuple[str, ...], frameworks: tuple[str, ...]) -> int:
    """The first seed trained for every architecture in every framework asked for."""
    wanted = [(a, f) for a in architectures for f in frameworks]
    seeds = set.intersection(*(set(trained_seeds(model_dir(models_dir, a, f), f)) for a, f in wanted))
    if not seeds:
        names = ", ".join(str(model_dir(models_dir, a, f)) for a, f in wanted)
        raise PipelineError(f"{names}: no seed trained in all of them; run `dvc repro` (or `dvc pull`) first")
    return min(seeds)
