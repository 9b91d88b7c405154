"""The optimiser steps of one epoch for any PyTorch network, the conventional way: autograd and a torch.optim
optimiser, on the device a run resolves (CUDA when present), with deterministic kernels and a fixed thread count.
`trainer(model, recipe)` is the one way to make the steps, for the stage, the benchmark and the tests alike."""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_numpy_vs_torch.data.dataset import Inputs
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models import torch_nn, torch_optim
from mnist_numpy_vs_torch.models.initial import initial_state
from mnist_numpy_vs_torch.models.spec import Architecture
from mnist_numpy_vs_torch.params import Recipe
from mnist_numpy_vs_torch.training import batches, loop
from mnist_numpy_vs_torch.training.batches import batch_bounds
from mnist_numpy_vs_torch.training.log import EpochRecord


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PipelineError("train_torch.device: cuda, but no CUDA device is available (use auto or cpu)")
    return torch.device(name)


def configure(threads: int, seed: int) -> None:
    """Deterministic kernels, a fixed thread count, and a seeded generator (nothing here should draw from it)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS's deterministic mode, before its first use
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.manual_seed(seed)


class TorchSteps:
    """Steps of `optimizer` on `model`, with the learning rate set before every step."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.model, self.optimizer = model, optimizer

    def train_epoch(
        self, x: torch.Tensor, y: torch.Tensor, order: np.ndarray, batch_size: int, lrs: np.ndarray
    ) -> np.ndarray:
        """One optimiser step per batch of `order` (batches.batch_bounds), at the given learning rates; returns
        the per-step losses."""
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


def trainer(model: nn.Module, recipe: Recipe) -> TorchSteps:
    """The steps of `recipe`'s optimiser (torch.optim's, models/torch_optim.py) on `model`."""
    return TorchSteps(model, torch_optim.optimizer(model, recipe))


def network(architecture: Architecture, section: Recipe, seed: int) -> nn.Sequential:
    """The architecture's network of `seed`, from the initial weights both frameworks share, its Dropout layers
    drawing the masks both share."""
    spec = architecture.spec(section)
    model = torch_nn.build(spec, initial_state(spec, section.init, seed))
    batches.seed_masks(model, seed)
    return model


def train_seed(
    architecture: Architecture,
    section: Recipe,
    inputs: loop.EpochInputs,
    labels: np.ndarray,
    val_set: Inputs,
    seed: int,
    device: torch.device,
) -> tuple[nn.Module, list[EpochRecord]]:
    """Train the architecture's network of `seed` on `device` for the recipe's epochs; return it and its
    per-epoch log."""
    model = network(architecture, section, seed).to(device)
    steps = trainer(model, section)
    targets = torch.from_numpy(labels).to(device)
    val_x, val_y = torch.from_numpy(val_set.x).to(device), torch.from_numpy(val_set.y).to(device)
    records = loop.fit(
        f"{architecture.name} torch",
        lambda x, order, lrs: steps.train_epoch(
            torch.from_numpy(x).to(device), targets, order, section.batch_size, lrs
        ),
        lambda: torch_nn.evaluate(model, val_x, val_y),
        inputs=inputs,
        recipe=section,
        seed=seed,
    )
    return model, records
