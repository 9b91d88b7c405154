"""The torch twin of every network, written the conventional way: an nn.Sequential of torch.nn's own layers, built
from the same list of layers as the NumPy network (models/spec.py), holding the same state_dict; evaluation; and
saving and loading in models/model_file.py's format, read with weights_only=True."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import model_file
from mnist_numpy_vs_torch.models.spec import Spec
from mnist_numpy_vs_torch.twins import check_state, missing_generator, scaled_mask

# What a missing, truncated or foreign file raises somewhere between reading it and loading its state.
LOAD_ERRORS = (
    OSError,
    RuntimeError,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    pickle.UnpicklingError,
    zipfile.BadZipFile,
)


class Dropout(nn.Dropout):
    """nn.Dropout applying the masks twins.py draws from the layer's seeded stream, so that it drops the
    units its NumPy twin drops, step by step (torch's own generator would draw other masks, and the comparison would
    no longer be paired). As nn.Dropout: y = x m in training, m = 1 / (1 - p) or 0; y = x in evaluation."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)
        self.generator: np.random.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        if self.generator is None:
            raise missing_generator()
        dtype = torch.empty(0, dtype=x.dtype).numpy().dtype
        return x * torch.from_numpy(scaled_mask(self.generator, tuple(x.shape), self.p, dtype)).to(x.device)


LAYERS = {"Dropout": Dropout}  # where a layer is not torch.nn's own


def build(spec: Spec, state: dict[str, np.ndarray] | None = None) -> nn.Sequential:
    """nn.Sequential of the layers `spec` lists, holding `state` (NumPy arrays, in their dtype) when given."""
    model = nn.Sequential(*((LAYERS.get(name) or getattr(nn, name))(*args) for name, *args in spec))
    model.spec = spec
    if state is not None:
        load_arrays(model, state)
    return model


def load_arrays(model: nn.Module, state: dict[str, np.ndarray]) -> nn.Module:
    """The model holding exactly these values, in their dtype (float64 for the parity checks)."""
    check_state(model.state_dict(), state)
    model.to(torch.from_numpy(np.zeros(0, next(iter(state.values())).dtype)).dtype)
    model.load_state_dict({name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()})
    return model


def state_arrays(model: nn.Module) -> dict[str, np.ndarray]:
    """The model's state_dict as NumPy arrays, named and shaped as the NumPy Sequential's state_dict()."""
    return {name: tensor.detach().cpu().numpy() for name, tensor in model.state_dict().items()}


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model`, in evaluation mode, on (x, y)."""
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for start in range(0, len(y), batch_size):
        logits = model(x[start : start + batch_size])
        labels = y[start : start + batch_size]
        loss_sum += F.cross_entropy(logits, labels, reduction="sum").double()
        correct += (logits.argmax(dim=1) == labels).sum()
    return loss_sum.item() / len(y), correct.item() / len(y)


def save(model: nn.Module, path: str | Path) -> None:
    """The model's layer list and state_dict (on the CPU) in one .pt file, written atomically."""
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    with atomic_write(path) as handle:
        torch.save({model_file.SPEC_KEY: model_file.spec_json(model.spec), "state_dict": state}, handle)


def load(path: str | Path) -> nn.Sequential:
    """A model saved by `save`, read with weights_only=True; any fault is a ModelFileError naming the file."""
    try:
        saved = torch.load(io.BytesIO(Path(path).read_bytes()), map_location="cpu", weights_only=True)
        if not isinstance(saved, dict) or model_file.SPEC_KEY not in saved:
            raise ModelFileError(model_file.without_spec(path, saved if isinstance(saved, dict) else []))
        spec = model_file.spec_from_json(path, saved[model_file.SPEC_KEY])
        state = {name: tensor.numpy() for name, tensor in saved["state_dict"].items()}
    except LOAD_ERRORS as error:
        raise ModelFileError(model_file.unreadable(path, "torch", error)) from error
    return model_file.built(path, lambda: build(spec, state))
