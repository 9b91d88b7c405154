"""Where the trainers put what they make: models/<architecture>/<framework>/ (dvc.yaml's train@<arch>-<framework>
outputs) holds seed-N.npz or seed-N.pt weights, seed-N.tsv training logs and run.json, the environment of the run."""

from __future__ import annotations

from pathlib import Path

FRAMEWORKS = ("numpy", "torch")
LABELS = {"numpy": "NumPy", "torch": "PyTorch"}  # as figures and plots name them
SUFFIX = {"numpy": "npz", "torch": "pt"}
RUN_FILE = "run.json"


def model_dir(models_root: str | Path, architecture: str, framework: str) -> Path:
    return Path(models_root) / architecture / framework


def identify(directory: str | Path) -> tuple[str, str]:
    """(architecture, framework) of a model folder laid out by model_dir."""
    path = Path(directory)
    return path.parent.name, path.name


def model_path(directory: str | Path, framework: str, seed: int) -> Path:
    return Path(directory) / f"seed-{seed}.{SUFFIX[framework]}"


def log_path(directory: str | Path, seed: int) -> Path:
    """The per-epoch training log (training.log.write_log) beside the model."""
    return Path(directory) / f"seed-{seed}.tsv"


def run_path(directory: str | Path) -> Path:
    return Path(directory) / RUN_FILE


def trained_seeds(directory: str | Path, framework: str) -> list[int]:
    """The seeds with a saved model of `framework` in `directory`, ascending."""
    files = Path(directory).glob(f"seed-*.{SUFFIX[framework]}")
    return sorted(int(path.stem.removeprefix("seed-")) for path in files)
