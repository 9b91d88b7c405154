"""The per-epoch training log both trainers write, and evaluate and report read: one TSV per model."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from mnist_numpy_vs_torch.atomic import write_text


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    lr: float
    epoch_seconds: float
    samples_per_second: float


COLUMNS = [f.name for f in fields(EpochRecord)]


def write_log(path: str | Path, records: list[EpochRecord]) -> None:
    """The same columns for both frameworks, so their curves overlay; floats as repr, so they read back exactly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in asdict(record).items()})
    write_text(path, buffer.getvalue())


def read_log(path: str | Path) -> list[EpochRecord]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [EpochRecord(int(r["epoch"]), *(float(r[c]) for c in COLUMNS[1:])) for r in rows]
