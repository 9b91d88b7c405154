"""The parse stage on the real MNIST files, and the stratified validation split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch.data import dataset

MNIST_TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_prepared_splits_have_the_configured_sizes_and_all_of_mnist(prepared_dir: Path) -> None:
    splits = {name: dataset.load_split(prepared_dir, name) for name in dataset.SPLITS}
    assert {name: s.images.shape for name, s in splits.items()} == {
        "train": (55000, 28, 28),
        "val": (5000, 28, 28),
        "test": (10000, 28, 28),
    }
    assert all(s.images.dtype == np.uint8 and s.labels.dtype == np.uint8 for s in splits.values())
    train_and_val = np.bincount(np.concatenate([splits["train"].labels, splits["val"].labels]), minlength=10)
    assert train_and_val.tolist() == MNIST_TRAIN_CLASS_COUNTS
    assert np.bincount(splits["test"].labels, minlength=10).tolist() == MNIST_TEST_CLASS_COUNTS


def test_facts_describe_the_splits(prepared_dir: Path) -> None:
    facts = json.loads((prepared_dir / "facts.json").read_text())
    train = dataset.load_split(prepared_dir, "train")
    assert facts["counts"] == {"train": 55000, "val": 5000, "test": 10000}
    assert facts["class_counts"]["test"] == MNIST_TEST_CLASS_COUNTS
    pixels = train.images.astype(np.float64) / 255
    assert facts["train_pixel_mean"] == pytest.approx(pixels.mean(), rel=1e-9)
    assert facts["train_pixel_std"] == pytest.approx(pixels.std(), rel=1e-9)


def test_validation_split_is_stratified_disjoint_and_seeded() -> None:
    labels = np.random.default_rng(1).integers(0, 10, 6000).astype(np.uint8)
    train, val = dataset.stratified_split(labels, 500, seed=3)
    assert len(val) == 500 and len(train) == 5500
    assert np.intersect1d(train, val).size == 0
    expected = 500 * np.bincount(labels, minlength=10) / len(labels)
    assert np.abs(np.bincount(labels[val], minlength=10) - expected).max() < 1
    again_train, again_val = dataset.stratified_split(labels, 500, seed=3)
    assert np.array_equal(val, again_val) and np.array_equal(train, again_train)
    assert not np.array_equal(val, dataset.stratified_split(labels, 500, seed=4)[1])


def test_a_training_subset_is_stratified_seeded_and_leaves_validation_and_test_alone(raw_dir: Path) -> None:
    full = dataset.prepare(raw_dir, val_size=5000, seed=0)
    subset = dataset.prepare(raw_dir, val_size=5000, seed=0, train_size=1000)
    assert len(subset["train"]) == 1000
    for name in ("val", "test"):
        assert np.array_equal(subset[name].images, full[name].images)
    expected = 1000 * np.bincount(full["train"].labels, minlength=10) / len(full["train"])
    assert np.abs(np.bincount(subset["train"].labels, minlength=10) - expected).max() < 1
    kept = {image.tobytes() for image in full["train"].images}
    assert all(image.tobytes() in kept for image in subset["train"].images), "drawn from the training split"
    again = dataset.prepare(raw_dir, val_size=5000, seed=0, train_size=1000)
    assert np.array_equal(again["train"].images, subset["train"].images)
    everything = dataset.prepare(raw_dir, val_size=5000, seed=0, train_size=55000)
    assert np.array_equal(everything["train"].images, full["train"].images)


def test_normalise_uses_the_training_statistics() -> None:
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    x = dataset.normalise(images, mean=0.5, std=0.25)
    assert x.dtype == np.float32 and x.shape == (2, 784)
    assert np.allclose(x[0], -2.0) and np.allclose(x[1], 2.0)
