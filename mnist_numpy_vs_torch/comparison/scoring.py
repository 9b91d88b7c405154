"""Scoring saved models on the held-out splits, and the plot files DVC draws from the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.comparison import rule
from mnist_numpy_vs_torch.comparison.metrics import (
    architecture_pairs,
    between_key,
    confusion_matrix,
    mean_std,
    per_class,
    per_seed,
)
from mnist_numpy_vs_torch.data.dataset import Inputs
from mnist_numpy_vs_torch.data.mnist import NUM_CLASSES
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS, LABELS, Folders, ModelId, identify, seed_name
from mnist_numpy_vs_torch.models.predictor import load_predictor, logits_in_batches
from mnist_numpy_vs_torch.nn.loss import cross_entropy
from mnist_numpy_vs_torch.params import EvaluateParams


@dataclass(frozen=True)
class FrameworkScores:
    scores: dict  # split -> quantity -> {mean, std, seeds: {seed-N: value}}
    per_class: dict  # "test" -> precision / recall / f1 -> class -> mean over seeds
    confusions: list[np.ndarray]  # test confusion matrix per seed
    predictions: dict[ModelId, np.ndarray]  # predicted test labels, per seed


def score(directory: Path, splits: dict[str, Inputs], seeds: Sequence[int], batch_size: int) -> FrameworkScores:
    """Accuracy and mean cross-entropy of each seed's model in `directory` (models/<architecture>/<framework>) on
    each split; per-class figures on test."""
    architecture, framework = identify(directory)
    values = {name: {"accuracy": [], "loss": []} for name in splits}
    confusions, predictions = [], {}
    for seed in seeds:
        model = ModelId(architecture, framework, seed)
        predict = load_predictor(architecture, framework, directory, seed)
        for name, split in splits.items():
            logits = logits_in_batches(predict, split.x, batch_size)
            predicted = logits.argmax(axis=1)
            values[name]["accuracy"].append(float((predicted == split.y).mean()))
            values[name]["loss"].append(float(cross_entropy(logits.astype(np.float64), split.y).mean()))
            if name == "test":
                confusions.append(confusion_matrix(split.y, predicted))
                predictions[model] = predicted.astype(np.uint8)
    seed_names = [seed_name(s) for s in seeds]
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


def error_rows(confusions: dict[str, dict[str, np.ndarray]]) -> str:
    """The off-diagonal cells of each model's test confusion matrix (confusions[architecture][framework]), as counts
    and as a share of the true class: the plot of errors DVC draws (the diagonal, 98% of the counts, would drown
    them)."""
    lines = ["architecture,framework,actual,predicted,count,share_of_actual"]
    for architecture, by_framework in confusions.items():
        for framework, confusion in by_framework.items():
            totals = confusion.sum(axis=1)
            lines += [
                f"{architecture.upper()},{LABELS[framework]},{a},{p},{int(confusion[a, p])},"
                f"{confusion[a, p] / max(int(totals[a]), 1):.6g}"
                for a in range(len(confusion))
                for p in range(len(confusion))
                if a != p
            ]
    return "\n".join(lines) + "\n"


def curve_rows(curves: dict[str, dict[str, dict[str, np.ndarray]]], columns: dict[str, str], value: str) -> str:
    """Long-format TSV (epoch, architecture, framework, data, `value`) of the per-epoch means in
    `curves[architecture][framework][column]`, one row per epoch, model and column; `columns` maps each column to
    what the plot calls its data."""
    lines = [f"epoch\tarchitecture\tframework\tdata\t{value}"]
    for architecture, by_framework in curves.items():
        for framework, series in by_framework.items():
            for column, data in columns.items():
                lines += [
                    f"{i + 1}\t{architecture.upper()}\t{LABELS[framework]}\t{data}\t{v:.6g}"
                    for i, v in enumerate(series[column])
                ]
    return "\n".join(lines) + "\n"


def compare(
    scores: dict[str, dict],
    predictions: dict[ModelId, np.ndarray],
    labels: np.ndarray,
    architecture: str,
    seeds: Sequence[int],
    settings: EvaluateParams,
) -> dict:
    """The paired verdict of each metric of `architecture` (`scores`: its entry in metrics/scores.json) under the
    rule with `settings` (confidence, margins), and McNemar's test per seed: its entry in metrics/comparison.json."""
    result: dict = {"confidence": settings.confidence, "seeds": len(seeds)}
    for split, quantity, higher_is_better in rule.METRICS:
        judged = rule.verdict(
            f"{split}_{quantity}",
            per_seed(scores, "numpy", split, quantity, seeds),
            per_seed(scores, "torch", split, quantity, seeds),
            margin=getattr(settings.margins, f"{split}_{quantity}"),
            confidence=settings.confidence,
            higher_is_better=higher_is_better,
        )
        result.setdefault(split, {})[quantity] = judged.as_metrics()
    result["mcnemar"] = {
        seed_name(seed): rule.mcnemar_exact(
            labels, predictions[ModelId(architecture, "numpy", seed)], predictions[ModelId(architecture, "torch", seed)]
        ).as_metrics()
        for seed in seeds
    }
    return result


def between_architectures(scores: dict, first: str, second: str, seeds: Sequence[int], confidence: float) -> dict:
    """second - first, within each framework, per metric: the mean paired difference over seeds (the same seeds
    see the same batches in both architectures) and its two-sided t-interval at `confidence`, as the rule computes
    it; no margin and no verdict, since no rule was registered for this question."""
    result: dict = {"seeds": len(seeds)}
    for framework in FRAMEWORKS:
        for split, quantity, _ in rule.METRICS:
            differences = np.subtract(
                per_seed(scores[second], framework, split, quantity, seeds),
                per_seed(scores[first], framework, split, quantity, seeds),
            )
            interval = rule.t_interval(differences, confidence) if len(differences) > 1 else None
            result.setdefault(framework, {}).setdefault(split, {})[quantity] = {
                "mean_difference": float(differences.mean()),
                "ci_low": interval.low if interval else None,
                "ci_high": interval.high if interval else None,
            }
    return result


@dataclass(frozen=True)
class Evaluation:
    """What evaluate finds, keyed by architecture, then framework."""

    scores: dict  # metrics/scores.json
    per_class: dict  # metrics/per_class.json
    comparison: dict  # metrics/comparison.json: per architecture, then "between" (when there are two or more)
    first_confusions: dict[str, dict[str, np.ndarray]]  # the first seed's test confusion matrices, for error_rows
    predictions: dict[ModelId, np.ndarray]  # every model's predicted test labels


def evaluate(
    folders: Folders, splits: dict[str, Inputs], seeds: dict[str, Sequence[int]], settings: EvaluateParams
) -> Evaluation:
    """Score every model in `folders` (models/folders.group_folders) on `splits` ("test" among them), seeds[a] of
    architecture a; judge NumPy against PyTorch within each architecture, and each architecture against each earlier
    one within each framework."""
    scored = {
        architecture: {
            framework: score(folder, splits, seeds[architecture], settings.batch_size)
            for framework, folder in by_framework.items()
        }
        for architecture, by_framework in folders.items()
    }
    scores = {a: {f: result.scores for f, result in by_framework.items()} for a, by_framework in scored.items()}
    predictions = {
        model: predicted
        for by_framework in scored.values()
        for result in by_framework.values()
        for model, predicted in result.predictions.items()
    }
    labels = splits["test"].y
    comparison = {a: compare(scores[a], predictions, labels, a, seeds[a], settings) for a in folders}
    between = {
        # seed i is the same draw in both architectures, so the seeds both trained pair up
        between_key(first, second): between_architectures(
            scores, first, second, range(min(len(seeds[first]), len(seeds[second]))), settings.confidence
        )
        for first, second in architecture_pairs(list(folders))
    }
    if between:
        comparison["between"] = between
    return Evaluation(
        scores,
        {a: {f: result.per_class for f, result in by_framework.items()} for a, by_framework in scored.items()},
        comparison,
        {a: {f: result.confusions[0] for f, result in by_framework.items()} for a, by_framework in scored.items()},
        predictions,
    )


def summary(scores: dict, comparison: dict) -> dict:
    """The few figures a table of experiments needs, under short names, per architecture: each framework's test
    means, the paired NumPy - PyTorch test accuracy difference with its interval, the test verdicts; and, between
    architectures, the paired test accuracy difference within each framework. What metrics/summary.json holds,
    the one file DVC treats as metrics; spreads, validation verdicts, per-seed and per-class figures stay in the
    other files."""
    short = {"accuracy": "acc", "loss": "loss"}
    result: dict = {}
    for architecture, by_framework in scores.items():
        judged = comparison[architecture]
        accuracy = judged["test"]["accuracy"]
        result[architecture] = {
            framework: {f"test_{short[q]}": by_framework[framework]["test"][q]["mean"] for q in ("accuracy", "loss")}
            for framework in FRAMEWORKS
        } | {
            "diff": {
                "test_acc": accuracy["mean_difference"],
                "test_acc_lo": accuracy["ci_low"],
                "test_acc_hi": accuracy["ci_high"],
            },
            "verdict": {f"test_{short[q]}": judged["test"][q]["verdict"] for q in ("accuracy", "loss")},
            "seeds": judged["seeds"],
        }
    for name, between in comparison.get("between", {}).items():
        result[name] = {
            framework: {"test_acc": between[framework]["test"]["accuracy"]["mean_difference"]}
            for framework in FRAMEWORKS
        }
    return result
