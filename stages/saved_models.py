"""Trained models as the pipeline saves them: where they live and how to load either framework's, without pickle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from stages import mlp_torch
from stages.mlp_numpy import NumpyMLP

FRAMEWORKS = ("numpy", "torch")
SUFFIX = {"numpy": "npz", "torch": "pt"}

Predict = Callable[[np.ndarray], np.ndarray]


def model_path(models_dir: str | Path, framework: str, seed: int) -> Path:
    return Path(models_dir) / framework / f"seed-{seed}.{SUFFIX[framework]}"


def log_path(models_dir: str | Path, framework: str, seed: int) -> Path:
    """The per-epoch training log (training.write_log) beside the model."""
    return Path(models_dir) / framework / f"seed-{seed}.tsv"


def trained_seeds(models_dir: str | Path, framework: str) -> list[int]:
    """The seeds with a saved model of `framework`, ascending."""
    files = (Path(models_dir) / framework).glob(f"seed-*.{SUFFIX[framework]}")
    return sorted(int(path.stem.removeprefix("seed-")) for path in files)


def load_predictor(framework: str, models_dir: str | Path, seed: int, hidden: Sequence[int] | None = None) -> Predict:
    """A function from standardised inputs (n, 784) to logits (n, 10) for one saved model."""
    path = model_path(models_dir, framework, seed)
    if framework == "numpy":
        return NumpyMLP.load(path).logits
    model = mlp_torch.load(path, hidden).eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return predict
