"""The comparison rule on constructed inputs: every branch of the verdict, the t-interval against hand-worked
values, McNemar's exact test on known tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_numpy_vs_torch.comparison import rule
from mnist_numpy_vs_torch.comparison.rule import mcnemar_exact, seeds_needed, t_interval, verdict


def test_t_interval_matches_a_hand_worked_example() -> None:
    # d = 1, 2, 3: mean 2, s = 1, n = 3; t(0.975, 2) = 4.302653 (tables); half-width 4.302653 / sqrt(3) = 2.484138
    interval = t_interval([1.0, 2.0, 3.0], confidence=0.95)
    assert interval.mean == 2.0 and interval.std == pytest.approx(1.0) and interval.n == 3
    assert interval.low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert interval.high == pytest.approx(2 + 2.484138, abs=1e-6)


def test_t_interval_at_90_percent_with_five_values() -> None:
    # d = 0.1, 0.3, 0.2, 0.4, 0.0: mean 0.2, s = sqrt(0.1 / 4) = 0.158114; t(0.95, 4) = 2.131847
    interval = t_interval([0.1, 0.3, 0.2, 0.4, 0.0], confidence=0.90)
    half = 2.131847 * 0.158114 / math.sqrt(5)
    assert (interval.low, interval.high) == pytest.approx((0.2 - half, 0.2 + half), abs=1e-6)


def test_one_value_has_no_interval() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([0.1], confidence=0.95)


def judge(differences: list[float], margin: float = 0.001, higher_is_better: bool = True) -> rule.Verdict:
    torch = np.full(len(differences), 0.98)
    return verdict(
        "test_accuracy",
        list(torch + differences),
        list(torch),
        margin=margin,
        confidence=0.95,
        higher_is_better=higher_is_better,
    )


def test_an_interval_inside_the_margin_is_equivalence() -> None:
    judged = judge([0.0002, -0.0001, 0.0001, 0.0, -0.0002])
    assert judged.outcome == rule.EQUIVALENT and not judged.excludes_zero
    assert judged.interval.low >= -0.001 and judged.interval.high <= 0.001


def test_equivalence_with_a_systematic_difference_smaller_than_the_margin() -> None:
    judged = judge([0.0006, 0.0006, 0.0008, 0.0007, 0.0006])
    assert judged.outcome == rule.EQUIVALENT and judged.excludes_zero and judged.interval.low > 0


def test_an_interval_clear_of_zero_and_past_the_margin_names_the_framework_ahead() -> None:
    assert judge([0.003, 0.004, 0.0035, 0.0032, 0.0041]).outcome == rule.NUMPY_AHEAD
    assert judge([-0.003, -0.004, -0.0035, -0.0032, -0.0041]).outcome == rule.TORCH_AHEAD
    # for a loss, lower is better: a positive NumPy - PyTorch difference puts PyTorch ahead
    loss = judge([0.03, 0.04, 0.035, 0.032, 0.041], margin=0.005, higher_is_better=False)
    assert loss.outcome == rule.TORCH_AHEAD


def test_an_interval_across_zero_and_past_the_margin_is_inconclusive_with_the_seeds_it_would_take() -> None:
    judged = judge([0.002, -0.001, 0.0015, -0.0005, 0.001])
    assert judged.outcome == rule.INCONCLUSIVE
    assert judged.interval.low < 0 < judged.interval.high and judged.interval.high > 0.001
    needed = judged.seeds_needed
    assert needed is not None and needed > 5
    # with that many seeds at the same mean and spread, the interval would fit inside the margin; with one fewer not
    mean, std = judged.interval.mean, judged.interval.std

    def half(n: int) -> float:
        return rule.stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)

    assert abs(mean) + half(needed) < 0.001 <= abs(mean) + half(needed - 1)


def test_seeds_needed_to_show_a_difference_larger_than_the_margin() -> None:
    # mean 0.002 beyond a 0.001 margin: enough seeds to take the interval clear of zero
    n = seeds_needed(mean=0.002, std=0.004, margin=0.001, confidence=0.95)
    assert n is not None and rule.stats.t.ppf(0.975, n - 1) * 0.004 / math.sqrt(n) < 0.002
    assert seeds_needed(mean=0.0009, std=1.0, margin=0.001, confidence=0.95) is None  # beyond any sweep
    assert seeds_needed(mean=0.0, std=0.0, margin=0.001, confidence=0.95) == 2


def test_metrics_record_the_interval_and_the_verdict() -> None:
    figures = judge([0.0006, 0.0006, 0.0008, 0.0007, 0.0006]).as_metrics()
    assert figures["verdict"] == "equivalent" and figures["margin"] == 0.001
    assert figures["ci_low"] < figures["mean_difference"] < figures["ci_high"]
    assert figures["seeds_needed"] == 5


def test_mcnemar_exact_on_known_tables() -> None:
    labels = np.zeros(20, dtype=np.int64)
    numpy_pred, torch_pred = labels.copy(), labels.copy()
    numpy_pred[:1] = 1  # one digit only NumPy gets wrong
    torch_pred[1:7] = 1  # six only PyTorch gets wrong
    numpy_pred[10:12] = torch_pred[10:12] = 3  # two both get wrong: they do not count
    result = mcnemar_exact(labels, numpy_pred, torch_pred)
    # two-sided exact binomial: 2 * P(X <= 1 | n = 7, p = 1/2) = 2 * (1 + 7) / 128
    assert (result.numpy_only_wrong, result.torch_only_wrong) == (1, 6)
    assert result.p_value == pytest.approx(0.125)
    assert mcnemar_exact(labels, labels, labels).p_value == 1.0
    five_five = mcnemar_exact(labels, np.r_[np.ones(5), np.zeros(15)], np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    assert five_five.p_value == pytest.approx(1.0)


def test_the_registered_rule_is_recognised_and_a_moved_one_is_not() -> None:
    registered = rule.REGISTERED_RULE
    assert rule.is_registered(registered["confidence"], dict(registered["margins"]))
    assert not rule.is_registered(0.90, dict(registered["margins"]))
    assert not rule.is_registered(registered["confidence"], registered["margins"] | {"test_accuracy": 0.002})


def test_one_seed_gives_no_interval_and_no_verdict() -> None:
    judged = verdict("test_accuracy", [0.99], [0.98], margin=0.001, confidence=0.95, higher_is_better=True)
    assert judged.outcome == rule.INCONCLUSIVE and judged.interval.low is None
    figures = judged.as_metrics()
    assert figures["mean_difference"] == pytest.approx(0.01) and figures["ci_low"] is None
