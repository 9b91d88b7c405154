"""Scoring saved models on the held-out splits, and the plot files DVC draws from the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import statistics
from mnist_numpy_vs_torch.dataset import Inputs
from mnist_numpy_vs_torch.metrics import confusion_matrix, mean_std, per_class, per_seed
from mnist_numpy_vs_torch.mlp_numpy import cross_entropy
from mnist_numpy_vs_torch.mnist import NUM_CLASSES
from mnist_numpy_vs_torch.params import EvaluateParams
from mnist_numpy_vs_torch.predictors import load_predictor, logits_in_batches


@dataclass(frozen=True)
class FrameworkScores:
    scores: dict  # split -> quantity -> {mean, std, seeds: {seed-N: value}}
    per_class: dict  # "test" -> precision / recall / f1 -> class -> mean over seeds
    confusions: list[np.ndarray]  # test confusion matrix per seed
    predictions: dict[str, np.ndarray]  # "<framework>_seed-N" -> predicted test labels


def score(
    framework: str,
    directory: Path,
    splits: dict[str, Inputs],
    seeds: Sequence[int],
    hidden: Sequence[int],
    batch_size: int,
) -> FrameworkScores:
    """Accuracy and mean cross-entropy of each seed's model on each split; per-class figures on test."""
    values = {name: {"accuracy": [], "loss": []} for name in splits}
    confusions, predictions = [], {}
    for seed in seeds:
        predict = load_predictor(framework, directory, seed, hidden)
        for name, split in splits.items():
            logits = logits_in_batches(predict, split.x, batch_size)
            predicted = logits.argmax(axis=1)
            values[name]["accuracy"].append(float((predicted == split.y).mean()))
            values[name]["loss"].append(float(cross_entropy(logits.astype(np.float64), split.y).mean()))
            if name == "test":
                confusions.append(confusion_matrix(split.y, predicted))
                predictions[f"{framework}_seed-{seed}"] = predicted.astype(np.uint8)
    seed_names = [f"seed-{s}" for s in seeds]
    scores = {
        name: {q: mean_std(v) | {"seeds": dict(zip(seed_names, v))} for q, v in quantities.items()}
        for name, quantities in values.items()
    }
    per_seed_classes = [per_class(c) for c in confusions]
    classes = {
        "test": {
            q: {str(k): float(np.mean([p[q][k] for p in per_seed_classes])) for k in range(NUM_CLASSES)}
            for q in ("precision", "recall", "f1")
        }
    }
    return FrameworkScores(scores, classes, confusions, predictions)


def confusion_rows(confusion: np.ndarray) -> str:
    """One CSV row per test sample, grouped: what DVC's confusion template counts."""
    classes = range(len(confusion))
    rows = "".join(f"{a},{p}\n" * int(confusion[a, p]) for a in classes for p in classes)
    return "actual,predicted\n" + rows


def curves_tsv(curves: dict[str, np.ndarray]) -> str:
    columns = ["epoch", *curves]
    epochs = len(next(iter(curves.values())))
    lines = ["\t".join(columns)]
    lines += ["\t".join([str(i + 1), *(f"{curves[c][i]:.6g}" for c in columns[1:])]) for i in range(epochs)]
    return "\n".join(lines) + "\n"


def compare(
    scores: dict[str, dict],
    predictions: dict[str, np.ndarray],
    labels: np.ndarray,
    seeds: Sequence[int],
    rule: EvaluateParams,
) -> dict:
    """The paired verdict of each metric under `rule` (confidence, margins), and McNemar's test per seed: what
    metrics/comparison.json holds."""
    seed_names = [f"seed-{s}" for s in seeds]
    result: dict = {"confidence": rule.confidence, "seeds": len(seeds)}
    for split, quantity, higher_is_better in statistics.METRICS:
        judged = statistics.verdict(
            f"{split}_{quantity}",
            per_seed(scores, "numpy", split, quantity, seeds),
            per_seed(scores, "torch", split, quantity, seeds),
            margin=getattr(rule.margins, f"{split}_{quantity}"),
            confidence=rule.confidence,
            higher_is_better=higher_is_better,
        )
        result.setdefault(split, {})[quantity] = judged.as_metrics()
    result["mcnemar"] = {
        name: statistics.mcnemar_exact(labels, predictions[f"numpy_{name}"], predictions[f"torch_{name}"]).as_metrics()
        for name in seed_names
    }
    return result
