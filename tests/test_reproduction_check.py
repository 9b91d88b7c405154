"""The CI gate on reproduced metrics: it passes within tolerance and names every drift beyond it."""

from __future__ import annotations

import copy

from mnist_numpy_vs_torch.reproduction import problems


def scores(accuracy: float = 0.984, loss: float = 0.050) -> dict:
    split = {"accuracy": {"mean": accuracy}, "loss": {"mean": loss}}
    return {framework: {"test": copy.deepcopy(split), "val": copy.deepcopy(split)} for framework in ("numpy", "torch")}


def test_small_drift_passes() -> None:
    reproduced = scores()
    reproduced["numpy"]["test"]["accuracy"]["mean"] += 0.0009
    reproduced["torch"]["val"]["loss"]["mean"] *= 1.009
    assert problems(scores(), reproduced) == []


def test_accuracy_drift_beyond_a_tenth_of_a_point_is_named() -> None:
    reproduced = scores()
    reproduced["torch"]["test"]["accuracy"]["mean"] -= 0.0012
    assert problems(scores(), reproduced) == [
        "torch.test.accuracy.mean: 0.9840 committed, 0.9828 reproduced (0.12 pp > 0.1 pp)"
    ]


def test_loss_drift_beyond_one_percent_is_named() -> None:
    reproduced = scores()
    reproduced["numpy"]["val"]["loss"]["mean"] = 0.0506
    assert problems(scores(), reproduced) == ["numpy.val.loss.mean: 0.05000 committed, 0.05060 reproduced (1.2% > 1%)"]


def test_accuracy_below_98_fails_even_if_committed_that_way() -> None:
    low = scores(accuracy=0.975)
    assert problems(low, low) == [
        "numpy.test.accuracy.mean: 0.9750 is below 0.98",
        "torch.test.accuracy.mean: 0.9750 is below 0.98",
    ]


def test_a_missing_framework_is_named() -> None:
    reproduced = scores()
    del reproduced["torch"]
    assert "torch.test: missing from the reproduced metrics" in problems(scores(), reproduced)
