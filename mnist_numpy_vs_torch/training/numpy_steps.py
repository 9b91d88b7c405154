"""Training any NumPy network: the optimiser steps of an epoch (gather a batch, forward, loss, backward, update),
and a whole seed's run through the shared epoch loop.

`trainer(network, recipe, shards, threads)` is the one way to make the steps, for the stage, the benchmark and the
tests alike: the network an nn.Sequential (models/numpy_nn.py builds it), the loss nn.CrossEntropyLoss, the
optimiser the recipe's (models/numpy_optim.py). With shards > 1 the network's convolutional part runs as a
DataParallel of that many shards on up to `threads` threads, each with its share of the BLAS's threads
(nn.parallel.data_parallel). This module knows nothing else of the network.
"""

from __future__ import annotations

import contextlib

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.data.dataset import Inputs
from mnist_numpy_vs_torch.models import numpy_nn, numpy_optim
from mnist_numpy_vs_torch.models.initial import initial_state
from mnist_numpy_vs_torch.models.spec import Architecture
from mnist_numpy_vs_torch.nn.parallel import data_parallel
from mnist_numpy_vs_torch.params import Recipe
from mnist_numpy_vs_torch.training import batches, loop
from mnist_numpy_vs_torch.training.batches import batch_bounds
from mnist_numpy_vs_torch.training.log import EpochRecord


class NumpySteps:
    """One optimiser step per batch; the batch's inputs are gathered into a buffer allocated once."""

    def __init__(
        self,
        network: nn.Sequential,
        optimizer: numpy_optim.SGD | numpy_optim.Adam,
        shards: int = 1,
        threads: int = 1,
    ) -> None:
        self.network, self.optimizer = data_parallel(network, shards, threads), optimizer
        # Sharded, the threads share the cores: each shard's BLAS products get threads // shards of them.
        self.blas_threads = max(1, threads // shards) if self.network is not network else None
        self.loss = nn.CrossEntropyLoss()
        self.gradients = network.gradients()
        self.x: np.ndarray | None = None

    def cores(self) -> contextlib.AbstractContextManager:
        """The BLAS's threads while the shards run (unchanged when there are none)."""
        if self.blas_threads is None:
            return contextlib.nullcontext()
        return threadpool_limits(self.blas_threads, user_api="blas")

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """numpy_nn.evaluate, with the shards splitting every evaluation batch too."""
        with self.cores():
            return numpy_nn.evaluate(self.network, x, y)

    def train_epoch(
        self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int, lrs: np.ndarray
    ) -> np.ndarray:
        """One optimiser step per batch of `order` (batches.batch_bounds), at the given learning rates; returns
        the per-step losses."""
        self.network.train()
        if self.x is None or self.x.shape != (batch_size, x.shape[1]) or self.x.dtype != x.dtype:
            self.x = np.empty((batch_size, x.shape[1]), x.dtype)
        bounds = batch_bounds(len(order), batch_size)[: len(lrs)]
        losses = np.empty(len(bounds))
        with self.cores(), np.errstate(over="ignore", invalid="ignore"):  # divergence: the caller reports it
            for step, ((start, stop), lr) in enumerate(zip(bounds, lrs)):
                index = order[start:stop]
                # mode="clip": `order` is a permutation, so the bounds check of the default mode is pure cost
                xb = np.take(x, index, axis=0, out=self.x[: len(index)], mode="clip")
                losses[step] = self.loss.forward(self.network.forward(xb), y[index])
                self.network.backward(self.loss.backward())
                self.optimizer.step(self.gradients, float(lr))
        return losses


def trainer(network: nn.Sequential, recipe: Recipe, shards: int = 1, threads: int = 1) -> NumpySteps:
    """The steps of `recipe`'s optimiser (its momentum, betas, decay) on `network`, its convolutional part split
    into `shards` run on up to `threads` threads."""
    return NumpySteps(network, numpy_optim.optimizer(*network.parameters(), recipe), shards, threads)


def network(architecture: Architecture, section: Recipe, seed: int) -> nn.Sequential:
    """The architecture's network of `seed`, from the initial weights both frameworks share, its Dropout layers
    drawing the masks both share."""
    spec = architecture.spec(section)
    model = numpy_nn.build(spec, initial_state(spec, section.init, seed))
    batches.seed_masks(model, seed)
    return model


def train_seed(
    architecture: Architecture,
    section: Recipe,
    inputs: loop.EpochInputs,
    labels: np.ndarray,
    val_set: Inputs,
    seed: int,
    shards: int = 1,
    threads: int = 1,
) -> tuple[nn.Sequential, list[EpochRecord]]:
    """Train the architecture's network of `seed` for the recipe's epochs (its convolutional part in `shards` on up
    to `threads` threads); return it and its per-epoch log."""
    model = network(architecture, section, seed)
    steps = trainer(model, section, shards, threads)
    records = loop.fit(
        f"{architecture.name} numpy",
        lambda x, order, lrs: steps.train_epoch(x, labels, order, section.batch_size, lrs),
        lambda: steps.evaluate(val_set.x, val_set.y),
        inputs=inputs,
        recipe=section,
        seed=seed,
    )
    return model, records
