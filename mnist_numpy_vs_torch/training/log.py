"""What a training run records per epoch. The log (one TSV per model, beside its weights, cached by DVC) holds only
what the fingerprint decides, so two runs on one machine write the same bytes; the seconds each epoch took vary from
run to run and go to a timings file of their own (metrics/timings/, cached like the weights, read by no stage)."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.atomic import write_json, write_text
from mnist_numpy_vs_torch.models.folders import Folders, log_path


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    lr: float
    epoch_seconds: float | None = None  # the optimiser steps' wall time: in the timings file, never in the log


COLUMNS = [f.name for f in fields(EpochRecord) if f.name != "epoch_seconds"]
CURVES = ("train_loss", "val_loss", "val_accuracy")  # the columns drawn per epoch


def write_log(path: str | Path, records: list[EpochRecord]) -> None:
    """The same columns for both frameworks, so their curves overlay; floats as repr, so they read back exactly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in asdict(record).items()})
    write_text(path, buffer.getvalue())


def read_log(path: str | Path) -> list[EpochRecord]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [EpochRecord(int(r["epoch"]), *(float(r[c]) for c in COLUMNS[1:])) for r in rows]


def read_logs(directory: str | Path, seeds: Sequence[int]) -> list[list[EpochRecord]]:
    """The logs of `seeds` in a model folder (models/<architecture>/<framework>), in the order of `seeds`."""
    return [read_log(log_path(directory, seed)) for seed in seeds]


def mean_curve(logs: list[list[EpochRecord]]) -> dict[str, np.ndarray]:
    """Each CURVES column's value per epoch, the mean over `logs` (one per seed, all as long)."""
    return {column: np.mean([[getattr(r, column) for r in log] for log in logs], axis=0) for column in CURVES}


def mean_curves(folders: Folders, seeds: dict[str, Sequence[int]]) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """mean_curve of every model folder's logs of seeds[architecture], by architecture and framework."""
    return {
        architecture: {
            framework: mean_curve(read_logs(folder, seeds[architecture])) for framework, folder in by_framework.items()
        }
        for architecture, by_framework in folders.items()
    }


def write_timings(path: str | Path, logs: dict[int, list[EpochRecord]], num_samples: int) -> None:
    """A training stage's speed: each seed's epoch seconds, and over seeds the mean and spread of each seed's median
    epoch (seconds, and training images per second)."""
    medians = [statistics.median(r.epoch_seconds for r in records) for records in logs.values()]
    per_second = [num_samples / seconds for seconds in medians]

    def spread(values: list[float]) -> dict[str, float]:
        return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}

    write_json(
        path,
        {
            "epoch_seconds": spread(medians),
            "samples_per_second": spread(per_second),
            "seeds": {f"seed-{seed}": [r.epoch_seconds for r in records] for seed, records in logs.items()},
        },
    )
