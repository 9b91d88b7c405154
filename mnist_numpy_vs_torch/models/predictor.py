"""A saved model of any architecture and framework as one function from standardised inputs to logits, in
evaluation mode, loaded without pickle (models/model_file.py's format: the file lists its own layers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import numpy_nn, torch_nn
from mnist_numpy_vs_torch.models.folders import model_path

Predict = Callable[[np.ndarray], np.ndarray]  # (n, 784) float32 -> (n, 10) logits


def numpy_predictor(network: nn.Sequential) -> Predict:
    network.eval()
    return network.forward


def torch_predictor(model: torch.nn.Module) -> Predict:
    model.eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return predict


LOADERS: dict[str, Callable[[Path], Predict]] = {
    "numpy": lambda path: numpy_predictor(numpy_nn.load(path)),
    "torch": lambda path: torch_predictor(torch_nn.load(path)),
}


def load_predictor(architecture: str, framework: str, directory: str | Path, seed: int) -> Predict:
    """The model of `seed` in `directory` (models/<architecture>/<framework>), as a function to logits."""
    if framework not in LOADERS:
        raise ModelFileError(f"{directory}: no {architecture}/{framework} networks (frameworks: {', '.join(LOADERS)})")
    return LOADERS[framework](model_path(directory, framework, seed))


def logits_in_batches(predict: Predict, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.concatenate([predict(x[start : start + batch_size]) for start in range(0, len(x), batch_size)])
