"""A saved model of either framework as one function from standardised inputs to logits, loaded without pickle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from mnist_numpy_vs_torch import mlp_torch
from mnist_numpy_vs_torch.mlp_numpy import NumpyMLP
from mnist_numpy_vs_torch.saved_models import model_path

Predict = Callable[[np.ndarray], np.ndarray]


def load_predictor(framework: str, directory: str | Path, seed: int, hidden: Sequence[int] | None = None) -> Predict:
    """(n, 784) float32 -> (n, 10) logits, for the model of `seed` in the framework's `directory`."""
    path = model_path(directory, framework, seed)
    if framework == "numpy":
        return NumpyMLP.load(path).logits
    model = mlp_torch.load(path, hidden).eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return predict


def logits_in_batches(predict: Predict, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.concatenate([predict(x[start : start + batch_size]) for start in range(0, len(x), batch_size)])
