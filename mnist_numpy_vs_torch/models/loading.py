"""A saved model of any architecture and framework as one function from standardised inputs to logits, loaded
without pickle. A new architecture adds its two loaders to NETWORKS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import cnn_torch, mlp_torch
from mnist_numpy_vs_torch.models.cnn_numpy import NumpyCNN
from mnist_numpy_vs_torch.models.mlp_numpy import NumpyMLP
from mnist_numpy_vs_torch.models.saved import model_path

Predict = Callable[[np.ndarray], np.ndarray]  # (n, 784) float32 -> (n, 10) logits


def _torch_predictor(model: torch.nn.Module) -> Predict:
    model.eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return predict


NETWORKS: dict[tuple[str, str], Callable[[Path], Predict]] = {
    ("mlp", "numpy"): lambda path: NumpyMLP.load(path).logits,
    ("mlp", "torch"): lambda path: _torch_predictor(mlp_torch.load(path)),
    ("cnn", "numpy"): lambda path: NumpyCNN.load(path).logits,
    ("cnn", "torch"): lambda path: _torch_predictor(cnn_torch.load(path)),
}
ARCHITECTURES = tuple(dict.fromkeys(architecture for architecture, _ in NETWORKS))


def load_predictor(architecture: str, framework: str, directory: str | Path, seed: int) -> Predict:
    """The model of `seed` in `directory` (models/<architecture>/<framework>), as a function to logits."""
    if (architecture, framework) not in NETWORKS:
        known = ", ".join(f"{a}/{f}" for a, f in NETWORKS)
        raise ModelFileError(f"{directory}: no {architecture}/{framework} networks here (known: {known})")
    return NETWORKS[architecture, framework](model_path(directory, framework, seed))


def logits_in_batches(predict: Predict, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.concatenate([predict(x[start : start + batch_size]) for start in range(0, len(x), batch_size)])
