"""Where the trainers put what they make: models/<architecture>/<framework>/ (dvc.yaml's train_<framework>@<arch>
outputs) holds seed-N.npz or seed-N.pt weights, seed-N.tsv training logs and run.json, the environment of the run;
and how every file names one trained model (ModelId)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mnist_numpy_vs_torch.errors import PipelineError

FRAMEWORKS = ("numpy", "torch")
LABELS = {"numpy": "NumPy", "torch": "PyTorch"}  # as figures and plots name them
SUFFIX = {"numpy": "npz", "torch": "pt"}
RUN_FILE = "run.json"
SEED_PREFIX = "seed-"

Folders = dict[str, dict[str, Path]]  # architecture -> framework -> models/<architecture>/<framework>


def seed_name(seed: int) -> str:
    """How the weights and log files, metrics/*.json and the predictions name a seed: "seed-N"."""
    return f"{SEED_PREFIX}{seed}"


def model_dir(models_root: str | Path, architecture: str, framework: str) -> Path:
    return Path(models_root) / architecture / framework


def identify(directory: str | Path) -> tuple[str, str]:
    """(architecture, framework) of a model folder laid out by model_dir."""
    path = Path(directory)
    return path.parent.name, path.name


def model_path(directory: str | Path, framework: str, seed: int) -> Path:
    return Path(directory) / f"{seed_name(seed)}.{SUFFIX[framework]}"


def log_path(directory: str | Path, seed: int) -> Path:
    """The per-epoch training log (training.log.write_log) beside the model."""
    return Path(directory) / f"{seed_name(seed)}.tsv"


def run_path(directory: str | Path) -> Path:
    return Path(directory) / RUN_FILE


def read_runs(folders: Folders) -> dict[str, dict[str, dict]]:
    """Each model folder's run.json (what its trainer ran on), by architecture and framework."""
    return {
        architecture: {
            framework: json.loads(run_path(folder).read_text()) for framework, folder in by_framework.items()
        }
        for architecture, by_framework in folders.items()
    }


def trained_seeds(directory: str | Path, framework: str) -> list[int]:
    """The seeds with a saved model of `framework` in `directory`, ascending."""
    files = Path(directory).glob(f"{SEED_PREFIX}*.{SUFFIX[framework]}")
    return sorted(int(path.stem.removeprefix(SEED_PREFIX)) for path in files)


def group_folders(directories: Iterable[str | Path]) -> Folders:
    """The model folders a stage is given, by architecture in the order given, each with every framework's folder in
    FRAMEWORKS' order: the pairs both frameworks' models are compared in."""
    found: Folders = {}
    for directory in directories:
        architecture, framework = identify(directory)
        found.setdefault(architecture, {})[framework] = Path(directory)
    for architecture, by_framework in found.items():
        missing = [framework for framework in FRAMEWORKS if framework not in by_framework]
        if missing:
            raise PipelineError(
                f"no {missing[0]} folder of {architecture} among the model folders: pass "
                f"{model_dir('models', architecture, missing[0])} too"
            )
    return {architecture: {f: by_framework[f] for f in FRAMEWORKS} for architecture, by_framework in found.items()}


@dataclass(frozen=True)
class ModelId:
    """One trained model: its key in the predictions file and its seed's name in metrics/*.json are made here, and
    code passes the model itself, never a name to be read back into its parts."""

    architecture: str
    framework: str
    seed: int

    @property
    def seed_name(self) -> str:
        return seed_name(self.seed)

    @property
    def key(self) -> str:
        """Its predicted test labels' name in data/evaluation/predictions.npz."""
        return f"{self.architecture}_{self.framework}_{self.seed_name}"
