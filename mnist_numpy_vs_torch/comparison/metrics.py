"""Classification metrics and seed statistics, in plain NumPy, with no NaN ever written; and how metrics/scores.json
and metrics/comparison.json hold them, for the stages that write and read those files."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from mnist_numpy_vs_torch.data.mnist import NUM_CLASSES
from mnist_numpy_vs_torch.models.folders import seed_name


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
    return [scores[framework][split][quantity]["seeds"][seed_name(seed)] for seed in seeds]


def paired_differences(scores: dict, split: str, quantity: str, seeds: Sequence[int]) -> np.ndarray:
    """d_i = NumPy - PyTorch of one architecture's metric (scores as metrics/scores.json holds them under it), seed
    by seed: what the rule judges."""
    return np.subtract(
        per_seed(scores, "numpy", split, quantity, seeds), per_seed(scores, "torch", split, quantity, seeds)
    )


@dataclass(frozen=True)
class SharedErrors:
    """How two models' test errors overlap."""

    both: np.ndarray  # the indices of the digits both get wrong, ascending
    only_numpy: int  # digits only the NumPy model gets wrong
    only_torch: int


def shared_errors(labels: np.ndarray, numpy_predicted: np.ndarray, torch_predicted: np.ndarray) -> SharedErrors:
    numpy_wrong, torch_wrong = numpy_predicted != labels, torch_predicted != labels
    both = np.flatnonzero(numpy_wrong & torch_wrong)
    return SharedErrors(both, int(numpy_wrong.sum()) - len(both), int(torch_wrong.sum()) - len(both))


def architecture_pairs(architectures: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(first, second) for each later architecture against each earlier one, in the order given."""
    return itertools.combinations(architectures, 2)


def between_key(first: str, second: str) -> str:
    """The name of second - first under "between" in metrics/comparison.json (and metrics/summary.json)."""
    return f"{second}_vs_{first}"


def seeds_scored(comparison: dict) -> range:
    """The seeds evaluate scored of the architecture whose entry of metrics/comparison.json is `comparison`."""
    return range(comparison["seeds"])
