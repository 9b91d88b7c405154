"""Classification metrics and seed statistics, in plain NumPy, with no NaN ever written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnist_numpy_vs_torch.data.mnist import NUM_CLASSES


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(10, 10) counts: row = true class, column = predicted class."""
    return np.bincount(y_true * NUM_CLASSES + y_pred, minlength=NUM_CLASSES**2).reshape(NUM_CLASSES, NUM_CLASSES)


def per_class(confusion: np.ndarray) -> dict[str, list[float]]:
    """Precision, recall and F1 of each class; a class never predicted (or never present) scores 0, not NaN."""
    hits = np.diag(confusion).astype(np.float64)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(hits), where=denominator > 0)
    return {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist()}


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and sample standard deviation (ddof=1) over seeds; std is 0 for a single seed."""
    array = np.asarray(values, dtype=np.float64)
    std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return {"mean": float(array.mean()), "std": std}


def per_seed(scores: dict, framework: str, split: str, quantity: str, seeds: Sequence[int]) -> list[float]:
    """One framework's values of a metric in metrics/scores.json, seed by seed, in the order of `seeds`."""
    return [scores[framework][split][quantity]["seeds"][f"seed-{seed}"] for seed in seeds]
