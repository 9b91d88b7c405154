"""The same MLP in PyTorch, written the conventional way: nn.Sequential, autograd and torch.optim.SGD.

It starts from the weights `seeding.initial_weights` draws (transposed into nn.Linear's (out, in) layout) and
trains on the batches `seeding.epoch_order` gives, so it can be compared step for step with `mlp_numpy`.
"""

from __future__ import annotations

import io
import itertools
import os
import pickle
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# cuBLAS needs this set before its first use to give deterministic results.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch
import torch.nn.functional as F
from torch import nn

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError, PipelineError
from mnist_numpy_vs_torch.seeding import batch_bounds, layer_sizes


def build(hidden: Sequence[int]) -> nn.Sequential:
    sizes = layer_sizes(hidden)
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def from_layers(layers: list[tuple[np.ndarray, np.ndarray]]) -> nn.Sequential:
    """A network holding exactly the given (fan_in, fan_out) weights and biases."""
    model = build([w.shape[1] for w, _ in layers[:-1]]).to(torch.from_numpy(layers[0][0]).dtype)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for linear, (weight, bias) in zip(linears, layers):
            linear.weight.copy_(torch.from_numpy(weight.T))
            linear.bias.copy_(torch.from_numpy(bias))
    return model


def to_layers(model: nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    """The inverse of from_layers: weights back in (fan_in, fan_out) layout, as NumPy arrays."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [(m.weight.detach().cpu().numpy().T, m.bias.detach().cpu().numpy()) for m in linears]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PipelineError("train_torch.device: cuda, but no CUDA device is available (use auto or cpu)")
    return torch.device(name)


def configure(threads: int, seed: int) -> None:
    """Deterministic kernels, a fixed thread count, and a seeded generator (nothing here should draw from it)."""
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.manual_seed(seed)


class TorchTrainer:
    """SGD with momentum and weight decay on weights (not biases), with the learning rate set every step."""

    def __init__(self, model: nn.Sequential, momentum: float, weight_decay: float) -> None:
        self.model = model
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        self.optimizer = torch.optim.SGD(
            [{"params": weights, "weight_decay": weight_decay}, {"params": biases, "weight_decay": 0.0}],
            lr=0.0,
            momentum=momentum,
        )

    def train_epoch(
        self, x: torch.Tensor, y: torch.Tensor, order: np.ndarray, batch_size: int, lrs: np.ndarray
    ) -> np.ndarray:
        """One optimiser step per batch of `order` (seeding.batch_bounds), at the given learning rates;
        returns the per-step losses."""
        self.model.train()
        bounds = batch_bounds(len(order), batch_size)[: len(lrs)]
        order_on_device = torch.from_numpy(order).to(x.device)
        losses = torch.empty(len(bounds), dtype=x.dtype, device=x.device)
        for step, ((start, stop), lr) in enumerate(zip(bounds, lrs.tolist())):
            index = order_on_device[start:stop]
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(x[index]), y[index])
            loss.backward()
            self.optimizer.step()
            losses[step] = loss.detach()
        return losses.cpu().numpy().astype(np.float64)


@torch.no_grad()
def evaluate(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> tuple[float, float]:
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


def save(model: nn.Sequential, path: str | Path) -> None:
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    with atomic_write(path) as handle:
        torch.save(state, handle)


def load(path: str | Path, hidden: Sequence[int] | None = None) -> nn.Sequential:
    """Load a state_dict saved by `save` with weights_only=True; any fault is a ModelFileError naming the file.

    The hidden widths are read from the state_dict; when `hidden` is given, the file must match it.
    """
    try:
        state = torch.load(io.BytesIO(Path(path).read_bytes()), map_location="cpu", weights_only=True)
        found = [state[f"{2 * i}.weight"].shape[0] for i in range(len(state) // 2 - 1)]
        if hidden is not None and found != list(hidden):
            raise ValueError(f"hidden widths {found}, expected {list(hidden)}")
        model = build(found)
        model.load_state_dict(state)
    except (
        OSError,
        RuntimeError,
        EOFError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
    ) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelFileError(f"{path}: not a readable torch model ({first}); run `dvc repro` or `dvc pull`") from error
    return model
