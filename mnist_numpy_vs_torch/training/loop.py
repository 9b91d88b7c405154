"""The training run both frameworks share: epochs, sample order, schedule, divergence checks and the per-epoch log.

Each framework supplies only two callables: one that runs an epoch of optimiser steps over a given sample order
with given learning rates, and one that evaluates on the validation split.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from mnist_numpy_vs_torch.data.dataset import Normalise, ShiftedImages
from mnist_numpy_vs_torch.data.mnist import INPUT_SIZE
from mnist_numpy_vs_torch.errors import TrainingDiverged
from mnist_numpy_vs_torch.params import Recipe
from mnist_numpy_vs_torch.training import batches
from mnist_numpy_vs_torch.training.log import EpochRecord
from mnist_numpy_vs_torch.training.schedule import learning_rates

log = logging.getLogger(__name__)

TrainEpoch = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (inputs, order, step lrs) -> step losses
Evaluate = Callable[[], tuple[float, float]]  # () -> (val loss, val accuracy)


class EpochInputs:
    """The standardised training inputs of each seed's epochs: the images moved by batches.epoch_shifts when
    max_shift > 0 (the same moves for both frameworks), else the same array every epoch. Made once per stage: the
    padded images and the buffers serve every seed."""

    def __init__(self, images: np.ndarray, normalise: Normalise, *, max_shift: int) -> None:
        self.images, self.normalise, self.max_shift = images, normalise, max_shift
        self.fixed = normalise(images) if max_shift == 0 else None
        self.shifted = ShiftedImages(images, max_shift) if max_shift else None
        self.buffer = None if max_shift == 0 else np.empty((len(images), INPUT_SIZE), np.float32)

    def __call__(self, seed: int, epoch: int) -> np.ndarray:
        if self.fixed is not None:
            return self.fixed
        shifts = batches.epoch_shifts(len(self.images), seed, epoch, self.max_shift)
        return self.normalise(self.shifted(shifts), out=self.buffer)


def run_learning_rates(recipe: Recipe, num_samples: int) -> np.ndarray:
    """The learning rate of every step of a run over `num_samples` per epoch, shape (epochs, steps per epoch)."""
    return learning_rates(
        recipe.schedule,
        lr=recipe.lr,
        epochs=recipe.epochs,
        steps_per_epoch=len(batches.batch_bounds(num_samples, recipe.batch_size)),
        lr_min=recipe.lr_min,
        step_size=recipe.step_size,
        gamma=recipe.gamma,
    )


def fit(
    name: str, train_epoch: TrainEpoch, evaluate: Evaluate, *, inputs: EpochInputs, recipe: Recipe, seed: int
) -> list[EpochRecord]:
    """Run recipe.epochs epochs on the shared inputs, order and schedule of `seed`; return the per-epoch log.
    `name` says which model this is (for example "mlp numpy") in progress lines and errors."""
    num_samples = len(inputs.images)
    batch_sizes = np.array([stop - start for start, stop in batches.batch_bounds(num_samples, recipe.batch_size)])
    lrs = run_learning_rates(recipe, num_samples)
    records = []
    bar = tqdm(range(recipe.epochs), desc=f"{name} seed {seed}", disable=not sys.stderr.isatty())
    for epoch in bar:
        order = batches.epoch_order(num_samples, seed, epoch)
        x = inputs(seed, epoch)
        start = time.perf_counter()
        losses = train_epoch(x, order, lrs[epoch])
        seconds = time.perf_counter() - start
        check_finite(name, seed, epoch, losses, lrs[epoch])
        val_loss, val_accuracy = evaluate()
        record = EpochRecord(
            epoch=epoch + 1,
            train_loss=float(losses @ batch_sizes / num_samples),
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            lr=float(lrs[epoch, 0]),
            epoch_seconds=seconds,
        )
        records.append(record)
        bar.set_postfix(loss=f"{record.train_loss:.4f}", val_acc=f"{val_accuracy:.4f}")
        log.info(
            "%s seed %d epoch %d: train loss %.4f, val loss %.4f, val acc %.4f, %.2f s",
            name,
            seed,
            epoch + 1,
            record.train_loss,
            val_loss,
            val_accuracy,
            seconds,
        )
    return records


def check_finite(name: str, seed: int, epoch: int, losses: np.ndarray, lrs: np.ndarray) -> None:
    bad = ~np.isfinite(losses)
    if bad.any():
        step = int(np.argmax(bad))
        raise TrainingDiverged(
            f"{name} training diverged (seed {seed}): loss is {losses[step]} at epoch {epoch + 1}, "
            f"step {step + 1} (learning rate {lrs[step]:.3g}); lower {name.split()[0]}.lr in params.yaml"
        )
