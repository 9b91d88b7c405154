"""The comparison rule, fixed before the results: paired per-seed differences, a t-interval, an equivalence margin.

Per seed, both frameworks start from the same weights and see the same batches, so the design is paired. For a
metric with per-seed values a_i (NumPy) and b_i (PyTorch), i = 1..n:

    d_i = a_i - b_i,    mean d = (1/n) sum d_i,    s = sqrt( sum (d_i - mean d)^2 / (n - 1) )
    interval = mean d -+ t_{(1 + confidence)/2, n - 1} * s / sqrt(n)        (two-sided Student t)

With margin m, the verdict is:
    interval inside [-m, +m]                 -> equivalent within +-m (two one-sided tests at level (1-confidence)/2);
                                                if it also excludes 0, a systematic difference smaller than m
    interval excludes 0 and reaches past m   -> the framework the difference favours is ahead
    otherwise                                -> inconclusive: more seeds needed

McNemar's exact test compares two classifiers on the same test digits: of the digits exactly one of them gets
wrong, b are NumPy's errors and c PyTorch's; under "equally accurate" each such digit is a fair coin, so
p = P(Binomial(b + c, 1/2) as or more extreme than b), two-sided.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

EQUIVALENT, NUMPY_AHEAD, TORCH_AHEAD, INCONCLUSIVE = "equivalent", "numpy ahead", "torch ahead", "inconclusive"
# The metrics the rule judges: (split, quantity, higher is better), in the order the report gives them.
METRICS = (("test", "accuracy", True), ("test", "loss", False), ("val", "accuracy", True), ("val", "loss", False))
MAX_SEEDS_SEARCHED = 10_000


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float | None  # None with a single value: no spread, no interval
    high: float | None
    std: float | None  # sample standard deviation of the per-seed differences
    n: int

    @property
    def excludes_zero(self) -> bool:
        return self.low is not None and (self.low > 0 or self.high < 0)


def t_interval(differences: Sequence[float], confidence: float) -> Interval:
    """The two-sided Student t confidence interval of the mean of `differences` (n >= 2)."""
    d = np.asarray(differences, dtype=np.float64)
    if len(d) < 2:
        raise ValueError(f"a t-interval needs at least 2 values, got {len(d)}")
    mean, std = float(d.mean()), float(d.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, len(d) - 1)) * std / math.sqrt(len(d))
    return Interval(mean, mean - half, mean + half, std, len(d))


def seeds_needed(mean: float, std: float, margin: float, confidence: float) -> int | None:
    """The fewest seeds with which, at this mean difference and spread, the interval would settle the question:
    inside +-margin when |mean| < margin, clear of 0 otherwise. None when it would take more than
    MAX_SEEDS_SEARCHED (or a zero mean difference at a zero margin)."""
    target = margin - abs(mean) if abs(mean) < margin else abs(mean)
    if target <= 0:
        return None
    if std == 0:
        return 2
    for n in range(2, MAX_SEEDS_SEARCHED + 1):
        if stats.t.ppf((1 + confidence) / 2, n - 1) * std / math.sqrt(n) < target:
            return n
    return None


@dataclass(frozen=True)
class Verdict:
    metric: str
    higher_is_better: bool
    margin: float
    interval: Interval
    outcome: str  # EQUIVALENT, NUMPY_AHEAD, TORCH_AHEAD or INCONCLUSIVE
    seeds_needed: int | None

    @property
    def excludes_zero(self) -> bool:
        return self.interval.excludes_zero

    def as_metrics(self) -> dict:
        """The figures `dvc metrics diff` follows between commits (numbers, and the outcome as text)."""
        return {
            "mean_difference": self.interval.mean,
            "ci_low": self.interval.low,
            "ci_high": self.interval.high,
            "std_difference": self.interval.std,
            "margin": self.margin,
            "verdict": self.outcome,
            "seeds_needed": self.seeds_needed if self.seeds_needed is not None else -1,
        }


def verdict(
    metric: str,
    numpy: Sequence[float],
    torch: Sequence[float],
    *,
    margin: float,
    confidence: float,
    higher_is_better: bool,
) -> Verdict:
    """Apply the rule to the per-seed values of one metric (the same seeds, in the same order, for both)."""
    if len(numpy) != len(torch):
        raise ValueError(f"{metric}: {len(numpy)} NumPy values but {len(torch)} PyTorch values")
    if len(numpy) < 2:  # one seed has no spread, so no interval: nothing can be concluded
        mean = float(np.subtract(numpy, torch).mean())
        return Verdict(
            metric, higher_is_better, margin, Interval(mean, None, None, None, len(numpy)), INCONCLUSIVE, None
        )
    interval = t_interval(np.subtract(numpy, torch), confidence)
    if -margin <= interval.low and interval.high <= margin:
        outcome = EQUIVALENT
    elif interval.excludes_zero:
        numpy_better = (interval.mean > 0) == higher_is_better
        outcome = NUMPY_AHEAD if numpy_better else TORCH_AHEAD
    else:
        outcome = INCONCLUSIVE
    needed = len(numpy) if outcome != INCONCLUSIVE else seeds_needed(interval.mean, interval.std, margin, confidence)
    return Verdict(metric, higher_is_better, margin, interval, outcome, needed)


@dataclass(frozen=True)
class McNemar:
    numpy_only_wrong: int
    torch_only_wrong: int
    p_value: float

    def as_metrics(self) -> dict:
        return asdict(self)


def mcnemar_exact(labels: np.ndarray, numpy_predicted: np.ndarray, torch_predicted: np.ndarray) -> McNemar:
    """McNemar's exact test on the digits exactly one of the two classifiers gets wrong."""
    numpy_wrong, torch_wrong = numpy_predicted != labels, torch_predicted != labels
    b, c = int((numpy_wrong & ~torch_wrong).sum()), int((torch_wrong & ~numpy_wrong).sum())
    p_value = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
    return McNemar(b, c, p_value)


# The rule as registered, the same for every architecture, each on the date it was applied to that architecture,
# before any of its results existed (each architecture's `registered_on`, models/architectures.py): the MLP's
# five-seed results on 2026-11-25; the CNN's on 2026-12-02, when the CNN was written and no CNN had yet been trained
# on MNIST here, and again on 2026-12-06 for its configuration of 4 epochs with dropout, chosen on the validation
# split before any test result of it. The report compares the rule in params.yaml with this record and says so
# when they differ: a rule moved after the results is not a test.
REGISTERED_RULE = {
    "confidence": 0.95,
    "margins": {"test_accuracy": 0.001, "val_accuracy": 0.001, "test_loss": 0.005, "val_loss": 0.005},
}


def is_registered(confidence: float, margins: dict[str, float]) -> bool:
    """Whether a rule is the registered one."""
    return {"confidence": confidence, "margins": margins} == REGISTERED_RULE


def margins_applied(comparison: dict) -> dict[str, float]:
    """The margins a comparison (metrics/comparison.json) was judged with, keyed like evaluate.margins."""
    return {f"{split}_{quantity}": comparison[split][quantity]["margin"] for split, quantity, _ in METRICS}
