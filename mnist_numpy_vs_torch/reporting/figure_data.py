"""What the report's figures of one architecture draw, taken from what evaluate found (metrics/scores.json,
metrics/comparison.json, the predictions) and named as the report names it."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.comparison import rule
from mnist_numpy_vs_torch.comparison.metrics import paired_differences, seeds_scored
from mnist_numpy_vs_torch.models.folders import LABELS
from mnist_numpy_vs_torch.reporting.words import UNITS, metric_name

FIRST_SEED = 0  # the seed whose errors and first layers the report draws
SHORT_LABELS = {"numpy": "NP", "torch": "PT"}  # in a digit's caption, where the full names do not fit


def paired_panels(scores: dict, comparison: dict) -> dict[str, dict]:
    """What figures.paired_differences draws of one architecture (`scores` and `comparison`: its entries in
    metrics/scores.json and metrics/comparison.json): per metric, the per-seed differences, the interval and the
    margin."""
    panels = {}
    for split, quantity, _ in rule.METRICS:
        judged, unit = comparison[split][quantity], UNITS[quantity]
        panels[metric_name(split, quantity)] = {
            "per_seed": paired_differences(scores, split, quantity, seeds_scored(comparison)).tolist(),
            "mean": judged["mean_difference"],
            "ci_low": judged["ci_low"],
            "ci_high": judged["ci_high"],
            "margin": judged["margin"],
            "scale": unit.scale,
            "unit": f"{LABELS['numpy']} − {LABELS['torch']} ({unit.name})",
        }
    return panels


def error_captions(labels: np.ndarray, predicted: dict[str, np.ndarray], digits: np.ndarray) -> list[str]:
    """Under each of the test `digits` (indices), its true class and what each framework's model predicted."""
    return [
        f"true {labels[i]}\n" + " · ".join(f"{SHORT_LABELS[f]} {predicted[f][i]}" for f in predicted) for i in digits
    ]
