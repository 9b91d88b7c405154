"""The CI gate on reproduced metrics: bit-identical in the same environment, within the seed spread elsewhere."""

from __future__ import annotations

import copy

from mnist_numpy_vs_torch.comparison.reproduction import problems, tolerance


def scores(accuracy: float = 0.986, loss: float = 0.050, std: float = 0.0005) -> dict:
    def figure(value: float) -> dict:
        return {"mean": value, "std": std, "seeds": {f"seed-{s}": value for s in range(5)}}

    split = {"accuracy": figure(accuracy), "loss": figure(loss)}
    return {framework: {"test": copy.deepcopy(split), "val": copy.deepcopy(split)} for framework in ("numpy", "torch")}


def test_the_same_environment_demands_bit_identical_scores() -> None:
    assert problems(scores(), scores(), same_environment=True) == []
    reproduced = scores()
    reproduced["numpy"]["test"]["accuracy"]["seeds"]["seed-3"] += 1e-12
    assert problems(scores(), reproduced, same_environment=True) == [
        "metrics/scores.json: not bit-identical to the committed file, though the environment is the same"
    ]


def test_another_environment_allows_three_standard_errors_of_the_seed_spread() -> None:
    # std 0.0005 over 5 seeds: 3 * 0.0005 * sqrt(2 / 5) = 0.000949
    assert tolerance(scores()["numpy"]["test"]["accuracy"], scores()["numpy"]["test"]["accuracy"]) == (
        3 * 0.0005 * (2 / 5) ** 0.5
    )
    reproduced = scores()
    reproduced["numpy"]["test"]["accuracy"]["mean"] += 0.0009
    assert problems(scores(), reproduced, same_environment=False) == []
    reproduced["torch"]["val"]["loss"]["mean"] += 0.0010
    assert problems(scores(), reproduced, same_environment=False) == [
        "torch.val.loss.mean: 0.05000 committed, 0.05100 reproduced (differs by 0.00100 > 0.00095, 3 standard errors)"
    ]


def test_accuracy_below_the_target_fails_even_if_committed_that_way() -> None:
    low = scores(accuracy=0.982)
    assert problems(low, low, same_environment=True) == [
        "numpy.test.accuracy.mean: 0.9820 is below 0.985",
        "torch.test.accuracy.mean: 0.9820 is below 0.985",
    ]


def test_a_missing_framework_is_named() -> None:
    reproduced = scores()
    del reproduced["torch"]
    found = problems(scores(), reproduced, same_environment=False)
    assert "torch.test: missing from the reproduced metrics" in found
