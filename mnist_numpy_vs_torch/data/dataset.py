"""The prepared MNIST splits: how they are carved, described, stored and loaded.

Images are kept as uint8 on disk; `normalise` turns them into the float32 inputs both trainers see, with the
training split's mean and standard deviation.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnist_numpy_vs_torch.atomic import atomic_write, write_text
from mnist_numpy_vs_torch.data import idx
from mnist_numpy_vs_torch.data.mnist import (
    IMAGE_SIDE,
    INPUT_SIZE,
    NUM_CLASSES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
)
from mnist_numpy_vs_torch.errors import DatasetError, IdxFormatError

SPLITS = ("train", "val", "test")
Normalise = Callable[..., np.ndarray]  # (uint8 (n, 28, 28), out=None) -> float32 (n, 784)
FACTS_FILE = "facts.json"


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (n, 28, 28) uint8, light ink on black
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


def prepare(raw_dir: Path, val_size: int, seed: int, train_size: int | None = None) -> dict[str, Split]:
    """The three splits: val carved from MNIST's training set (stratified, seeded), test as published; train is the
    rest, or `train_size` of it (stratified, seeded) for quick runs."""
    train_images = idx.read_images(raw_dir / TRAIN_IMAGES)
    train_labels = idx.read_labels(raw_dir / TRAIN_LABELS)
    test_images = idx.read_images(raw_dir / TEST_IMAGES)
    test_labels = idx.read_labels(raw_dir / TEST_LABELS)
    for images, labels, name in ((train_images, train_labels, "train"), (test_images, test_labels, "t10k")):
        if len(images) != len(labels):
            raise IdxFormatError(f"{raw_dir}: {name} has {len(images)} images but {len(labels)} labels")
    if val_size >= len(train_labels):
        raise IdxFormatError(f"parse.val_size {val_size} is not below the {len(train_labels)} training images")
    train_index, val_index = stratified_split(train_labels, val_size, seed)
    if train_size is not None and train_size < len(train_index):
        _, kept = stratified_split(train_labels[train_index], train_size, seed)
        train_index = train_index[kept]
    return {
        "train": Split(train_images[train_index], train_labels[train_index]),
        "val": Split(train_images[val_index], train_labels[val_index]),
        "test": Split(test_images, test_labels),
    }


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
    if images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or labels.shape != (len(images),):
        raise DatasetError(f"{directory}: {name} split has unexpected shapes {images.shape}, {labels.shape}")
    return Split(images, labels)


def load_facts(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / FACTS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot load ({error}); run `dvc repro parse`") from error


def normalise(images: np.ndarray, mean: float, std: float, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 784): x = (pixel / 255 - mean) / std, with the training split's mean and
    std, computed as pixel * (1 / (255 std)) - mean / std."""
    scale = np.float32(1.0 / (255.0 * std))
    shift = np.float32(mean / std)
    flat = images.reshape(len(images), INPUT_SIZE)
    if out is None:
        out = flat.astype(np.float32)
    else:  # the caller's buffer, reused epoch after epoch
        np.copyto(out, flat, casting="safe")
    out *= scale
    out -= shift
    return out


class ShiftedImages:
    """A set of images, each moved by whole pixels (down, right) of its own. What moves out of the frame is lost; the
    frame fills with background (0). The images are kept once with a margin of `max_shift` background pixels, so an
    epoch's moved copy is one strided gather per distinct shift (nine for 1 pixel), written into a buffer kept for
    the next epoch: two copies of the images at any time, not one per possible shift."""

    def __init__(self, images: np.ndarray, max_shift: int) -> None:
        self.reach, self.side = max_shift, images.shape[1]
        self.padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
        self.out = np.empty_like(images)

    def __call__(self, shifts: np.ndarray) -> np.ndarray:
        """The images moved by (down, right) = shifts[i], for each image i (in a buffer the next call reuses)."""
        reach, side = self.reach, self.side
        for down, right in np.unique(shifts, axis=0):
            moved = np.flatnonzero((shifts[:, 0] == down) & (shifts[:, 1] == right))
            top, left = reach - down, reach - right  # where the frame starts in the padded image
            self.out[moved] = self.padded[moved, top : top + side, left : left + side]
        return self.out


def load_normaliser(directory: str | Path) -> Normalise:
    """`normalise` with the training split's statistics from the prepared data's facts."""
    facts = load_facts(directory)
    return functools.partial(normalise, mean=facts["train_pixel_mean"], std=facts["train_pixel_std"])


@dataclass(frozen=True)
class Inputs:
    """A split as the models see it."""

    x: np.ndarray  # (n, 784) float32, standardised
    y: np.ndarray  # (n,) int64

    def __len__(self) -> int:
        return len(self.y)


def load_inputs(directory: str | Path, name: str) -> Inputs:
    """The split `name` of the prepared data, standardised with the training split's statistics."""
    split = load_split(directory, name)
    return Inputs(load_normaliser(directory)(split.images), split.labels.astype(np.int64))
