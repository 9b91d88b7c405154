"""Training any NumPy network: the optimiser steps of an epoch (gather a batch, forward and backward, update), and
a whole seed's run through the shared epoch loop.

A network's module supplies `build(section, seed)`, a network with `logits(x)` and `parameters()`, and
`Backprop(network, batch_size)`, a backward pass (`backprop(x, y) -> loss`, filling `backprop.grads` in the order
of the parameters); the optimiser is models/numpy_optim.py's. This module knows nothing else of the network.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Protocol

import numpy as np

from mnist_numpy_vs_torch.data.dataset import Inputs
from mnist_numpy_vs_torch.data.mnist import INPUT_SIZE
from mnist_numpy_vs_torch.models import numpy_common, numpy_optim
from mnist_numpy_vs_torch.params import Recipe
from mnist_numpy_vs_torch.training import loop
from mnist_numpy_vs_torch.training.batches import batch_bounds
from mnist_numpy_vs_torch.training.log import EpochRecord


class Backprop(Protocol):
    grads: list[np.ndarray]

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float: ...


class Optimizer(Protocol):
    def step(self, grads: list[np.ndarray], lr: float) -> None: ...


class NumpySteps:
    """One optimiser step per batch; the batch's inputs are gathered into a buffer allocated once."""

    def __init__(self, backprop: Backprop, optimizer: Optimizer, batch_size: int, input_size: int, dtype) -> None:
        self.backprop, self.optimizer = backprop, optimizer
        self.x = np.empty((batch_size, input_size), dtype)

    def train_epoch(
        self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int, lrs: np.ndarray
    ) -> np.ndarray:
        """One optimiser step per batch of `order` (batches.batch_bounds), at the given learning rates; returns
        the per-step losses."""
        bounds = batch_bounds(len(order), batch_size)[: len(lrs)]
        losses = np.empty(len(bounds))
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the caller, by step
            for step, ((start, stop), lr) in enumerate(zip(bounds, lrs)):
                index = order[start:stop]
                # mode="clip": `order` is a permutation, so the bounds check of the default mode is pure cost
                xb = np.take(x, index, axis=0, out=self.x[: len(index)], mode="clip")
                losses[step] = self.backprop(xb, y[index])
                self.optimizer.step(self.backprop.grads, float(lr))
        return losses


def train_seed(
    name: str,
    networks: ModuleType,
    section: Recipe,
    inputs: loop.EpochInputs,
    labels: np.ndarray,
    val_set: Inputs,
    seed: int,
) -> tuple[Any, list[EpochRecord]]:
    """Train `networks.build(section, seed)` for the recipe's epochs; return it and its per-epoch log. `name`, for
    example "mlp numpy", labels progress lines and errors."""
    network = networks.build(section, seed)
    params, decays = network.parameters()
    optimizer = numpy_optim.optimizer(params, decays, section)
    batch = section.batch_size
    steps = NumpySteps(networks.Backprop(network, batch), optimizer, batch, INPUT_SIZE, params[0].dtype)
    records = loop.fit(
        name,
        lambda x, order, lrs: steps.train_epoch(x, labels, order, batch, lrs),
        lambda: numpy_common.evaluate(network.logits, val_set.x, val_set.y),
        inputs=inputs,
        recipe=section,
        seed=seed,
    )
    return network, records
