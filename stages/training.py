"""The training run both frameworks share: data, epochs, schedule, divergence checks and the per-epoch log.

Each framework supplies only two callables: one that runs an epoch of optimiser steps over a given sample order
with given learning rates, and one that evaluates on the validation split.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from tqdm import tqdm

from stages import dataset, seeding
from stages.atomic import write_text
from stages.errors import PipelineError
from stages.schedule import learning_rates

log = logging.getLogger(__name__)

TrainEpoch = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (sample order, step lrs) -> step losses
Evaluate = Callable[[], tuple[float, float]]  # () -> (val loss, val accuracy)


class TrainingDiverged(PipelineError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    lr: float
    epoch_seconds: float
    samples_per_second: float


@dataclass(frozen=True)
class TrainingData:
    x: np.ndarray  # (n, 784) float32, standardised
    y: np.ndarray  # (n,) int64
    val_x: np.ndarray
    val_y: np.ndarray


def load_training_data(prepared_dir: str | Path) -> TrainingData:
    facts = dataset.load_facts(prepared_dir)
    mean, std = facts["train_pixel_mean"], facts["train_pixel_std"]
    train, val = dataset.load_split(prepared_dir, "train"), dataset.load_split(prepared_dir, "val")
    return TrainingData(
        dataset.normalise(train.images, mean, std),
        train.labels.astype(np.int64),
        dataset.normalise(val.images, mean, std),
        val.labels.astype(np.int64),
    )


def fit(
    framework: str, train_epoch: TrainEpoch, evaluate: Evaluate, num_samples: int, train: dict, seed: int
) -> list[EpochRecord]:
    """Run train["epochs"] epochs in the shared seeded order and schedule; return the per-epoch log."""
    batch_sizes = np.array([stop - start for start, stop in seeding.batch_bounds(num_samples, train["batch_size"])])
    lrs = learning_rates(train, steps_per_epoch=len(batch_sizes))
    records = []
    bar = tqdm(range(train["epochs"]), desc=f"{framework} seed {seed}", disable=not sys.stderr.isatty())
    for epoch in bar:
        order = seeding.epoch_order(num_samples, seed, epoch)
        start = time.perf_counter()
        losses = train_epoch(order, lrs[epoch])
        seconds = time.perf_counter() - start
        check_finite(framework, seed, epoch, losses, lrs[epoch])
        val_loss, val_accuracy = evaluate()
        record = EpochRecord(
            epoch=epoch + 1,
            train_loss=float(losses @ batch_sizes / num_samples),
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            lr=float(lrs[epoch, 0]),
            epoch_seconds=seconds,
            samples_per_second=num_samples / seconds,
        )
        records.append(record)
        bar.set_postfix(loss=f"{record.train_loss:.4f}", val_acc=f"{val_accuracy:.4f}")
        log.info(
            "%s seed %d epoch %d: train loss %.4f, val loss %.4f, val acc %.4f, %.2f s",
            framework,
            seed,
            epoch + 1,
            record.train_loss,
            val_loss,
            val_accuracy,
            seconds,
        )
    return records


def check_finite(framework: str, seed: int, epoch: int, losses: np.ndarray, lrs: np.ndarray) -> None:
    bad = ~np.isfinite(losses)
    if bad.any():
        step = int(np.argmax(bad))
        raise TrainingDiverged(
            f"{framework} training diverged (seed {seed}): loss is {losses[step]} at epoch {epoch + 1}, "
            f"step {step + 1} (learning rate {lrs[step]:.3g}); lower train.lr in params.yaml"
        )


LOG_COLUMNS = [f.name for f in fields(EpochRecord)]


def write_log(path: str | Path, records: list[EpochRecord]) -> None:
    """The per-epoch log as TSV: the same columns for both frameworks, so their curves overlay."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOG_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in asdict(record).items()})
    write_text(path, buffer.getvalue())


def read_log(path: str | Path) -> list[EpochRecord]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [EpochRecord(int(r["epoch"]), *(float(r[c]) for c in LOG_COLUMNS[1:])) for r in rows]
