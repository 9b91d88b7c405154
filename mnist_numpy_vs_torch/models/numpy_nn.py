"""The NumPy network of a list of layers, the twin of models/torch_nn.py: built from the layers of the nn package,
evaluated, and saved and loaded in models/model_file.py's format, read without pickle."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import model_file
from mnist_numpy_vs_torch.models.spec import Spec
from mnist_numpy_vs_torch.nn.loss import cross_entropy

# The layers a model file may list, by torch.nn's names.
LAYERS = {
    layer.__name__: layer
    for layer in (
        nn.Linear, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Flatten,
        nn.Unflatten,
    )
}  # fmt: skip


def build(spec: Spec, state: dict[str, np.ndarray] | None = None) -> nn.Sequential:
    """The network `spec` lists, holding `state` when given (models/initial.py's initial weights, or a saved
    model's)."""
    network = nn.Sequential(*(LAYERS[name](*args) for name, *args in spec))
    network.spec = spec
    return network if state is None else network.load_state_dict(state)


def evaluate(network: nn.Sequential, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `network`, in evaluation mode, on (x, y)."""
    network.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        z = network.forward(x[start : start + batch_size])
        labels = y[start : start + batch_size]
        loss_sum += float(cross_entropy(z, labels).sum())
        correct += int((z.argmax(axis=1) == labels).sum())
    return loss_sum / len(y), correct / len(y)


def save(network: nn.Sequential, path: str | Path) -> None:
    """The network's layer list and state_dict in one .npz (models/model_file.py's format), written atomically."""
    with atomic_write(path) as handle:
        np.savez(handle, **{model_file.SPEC_KEY: np.array(model_file.spec_json(network.spec))}, **network.state_dict())


def load(path: str | Path) -> nn.Sequential:
    """A network saved by `save`, read without pickle; any fault is a ModelFileError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if model_file.SPEC_KEY not in archive.files:
                raise ModelFileError(model_file.without_spec(path, archive.files))
            spec = model_file.spec_from_json(path, str(archive[model_file.SPEC_KEY]))
            state = {name: archive[name] for name in archive.files if name != model_file.SPEC_KEY}
    except (OSError, ValueError, KeyError, EOFError, json.JSONDecodeError, zipfile.BadZipFile) as error:
        raise ModelFileError(model_file.unreadable(path, "NumPy", error)) from error
    return model_file.built(path, lambda: build(spec, state))
