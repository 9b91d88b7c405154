"""What every PyTorch network here shares: evaluation, and saving and loading its state_dict without pickle."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError

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


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model` on (x, y)."""
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
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    with atomic_write(path) as handle:
        torch.save(state, handle)


def load(path: str | Path, network_for: Callable[[dict[str, torch.Tensor]], nn.Module]) -> nn.Module:
    """The network `network_for(state)` builds, holding the state_dict saved at `path` by `save`; read with
    weights_only=True. Any fault is a ModelFileError naming the file."""
    try:
        state = torch.load(io.BytesIO(Path(path).read_bytes()), map_location="cpu", weights_only=True)
        model = network_for(state)
        model.load_state_dict(state)
    except LOAD_ERRORS as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelFileError(f"{path}: not a readable torch model ({first}); run `dvc repro` or `dvc pull`") from error
    return model
