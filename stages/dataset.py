"""The prepared MNIST splits: how they are carved, described, stored and loaded.

Images are kept as uint8 on disk; `normalise` turns them into the float32 inputs both trainers see, with the
training split's mean and standard deviation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stages.atomic import atomic_write, write_text
from stages.errors import PipelineError
from stages.idx import NUM_CLASSES

SPLITS = ("train", "val", "test")
FACTS_FILE = "facts.json"


class DatasetError(PipelineError):
    """The prepared data is missing or inconsistent."""


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (n, 28, 28) uint8
    labels: np.ndarray  # (n,) uint8

    def __len__(self) -> int:
        return len(self.labels)


def stratified_split(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): val holds `val_size` samples with the class proportions of `labels`.

    Each class gets floor(val_size * share); the samples left over go to the classes with the largest
    remainders. Within a class the chosen samples are a seeded random subset.
    """
    if not 0 < val_size < len(labels):
        raise ValueError(f"val_size must be in 1..{len(labels) - 1}, got {val_size}")
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    exact = val_size * counts / len(labels)
    quota = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - quota), kind="stable")
    quota[remainder_order[: val_size - quota.sum()]] += 1

    shuffled = np.random.default_rng(seed).permutation(len(labels))
    by_class = shuffled[np.argsort(labels[shuffled], kind="stable")]
    class_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    val = np.concatenate([by_class[start : start + q] for start, q in zip(class_start, quota)])
    is_val = np.zeros(len(labels), dtype=bool)
    is_val[val] = True
    return np.flatnonzero(~is_val), np.sort(val)


def facts(splits: dict[str, Split]) -> dict[str, Any]:
    """Counts per split and class, and the training split's pixel mean and std (pixels scaled to 0..1)."""
    mean, std = pixel_mean_std(splits["train"].images)
    return {
        "counts": {name: len(split) for name, split in splits.items()},
        "class_counts": {
            name: np.bincount(split.labels, minlength=NUM_CLASSES).tolist() for name, split in splits.items()
        },
        "train_pixel_mean": mean,
        "train_pixel_std": std,
    }


def pixel_mean_std(images: np.ndarray, chunk: int = 1 << 20) -> tuple[float, float]:
    """Exact mean and std of uint8 pixels scaled to 0..1, from integer sums taken in cache-sized chunks."""
    flat = images.reshape(-1)
    total = int(flat.sum(dtype=np.uint64))
    squares = 0
    for start in range(0, len(flat), chunk):
        part = flat[start : start + chunk].astype(np.uint32)
        squares += int((part * part).sum(dtype=np.uint64))
    mean = total / len(flat)
    variance = squares / len(flat) - mean * mean
    return mean / 255.0, float(np.sqrt(variance)) / 255.0


def save(directory: Path, splits: dict[str, Split], dataset_facts: dict[str, Any]) -> None:
    for name, split in splits.items():
        for kind, array in (("images", split.images), ("labels", split.labels)):
            with atomic_write(directory / f"{name}_{kind}.npy") as handle:
                np.save(handle, array, allow_pickle=False)
    write_text(directory / FACTS_FILE, json.dumps(dataset_facts, indent=2) + "\n")


def load_split(directory: str | Path, name: str) -> Split:
    directory = Path(directory)
    arrays = []
    for kind in ("images", "labels"):
        path = directory / f"{name}_{kind}.npy"
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as error:
            raise DatasetError(f"{path}: cannot load ({error}); run `dvc repro parse`") from error
    images, labels = arrays
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
        raise DatasetError(f"{directory}: {name} split has unexpected shapes {images.shape}, {labels.shape}")
    return Split(images, labels)


def load_facts(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / FACTS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot load ({error}); run `dvc repro parse`") from error


def normalise(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 784), standardised with the training split's statistics."""
    scale = np.float32(1.0 / (255.0 * std))
    shift = np.float32(mean / std)
    out = images.reshape(len(images), -1).astype(np.float32)
    out *= scale
    out -= shift
    return out
