"""How many seeds each architecture trains: the registered sample-size rule, and the spreads it was applied to.

The verdict (comparison/rule.py) is "equivalent" when the t-interval of the n per-seed differences d_i = NumPy - PyTorch
lies inside +-m. With the d_i drawn from N(delta, sigma^2), the interval is

    mean d -+ t * s / sqrt(n),      t = t_{(1 + confidence)/2, n - 1},
    mean d ~ N(delta, sigma^2 / n),  u = (n - 1) s^2 / sigma^2 ~ chi^2_{n - 1}, independent of mean d,

and it lands inside +-m exactly when |mean d| <= m - t s / sqrt(n). With a true difference delta = 0 (the frameworks
equal) and a = m sqrt(n) / sigma, conditioning on u gives

    P(inside) = integral over 0 < u < u_max of  [2 Phi(a - t sqrt(u / (n - 1))) - 1] f_{chi^2, n-1}(u) du,
    u_max = (n - 1) (a / t)^2       (past it the half-width alone exceeds m),

the power of the two one-sided tests at delta = 0, computed here by quadrature (Owen's formula, no simulation).

The rule: per architecture, n is the smallest number of seeds for which P(inside) >= POWER, for test accuracy and for
test loss, the larger of the two, with sigma the largest spread of per-seed differences measured so far over every
fingerprint (PILOT_SPREADS). Only spreads are used, never a mean difference, so the choice is blind to the answer;
the seeds that gave them stay among the n, and neither the margins nor the confidence move (docs/verdict.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import integrate, stats

from mnist_numpy_vs_torch.comparison.rule import REGISTERED_RULE

POWER = 0.90  # the chance, if the frameworks are equal, that the verdict comes out "equivalent"
METRICS = ("test_accuracy", "test_loss")  # the metrics whose spreads choose n (their margins: REGISTERED_RULE)
MAX_SEEDS = 1000  # past this, a spread so wide against its margin that no pipeline would train that many


def probability_inside(sigma: float, margin: float, n: int, confidence: float) -> float:
    """P(the two-sided t-interval of n differences from N(0, sigma^2) lies inside +-margin)."""
    if n < 2:
        raise ValueError(f"an interval needs at least 2 seeds, got {n}")
    if sigma <= 0:
        return 1.0
    t = float(stats.t.ppf((1 + confidence) / 2, n - 1))
    a = margin * math.sqrt(n) / sigma
    u_max = (n - 1) * (a / t) ** 2

    def integrand(u: float) -> float:
        return (2 * stats.norm.cdf(a - t * math.sqrt(u / (n - 1))) - 1) * stats.chi2.pdf(u, n - 1)

    # the chi-square density's bulk lies near n - 1: give quad that point so it does not step over it
    points = [min(n - 1, u_max / 2)]
    value, _ = integrate.quad(integrand, 0, u_max, points=points, limit=200, epsabs=1e-12, epsrel=1e-10)
    return value


def seeds_for(sigma: float, margin: float, confidence: float, power: float = POWER) -> int:
    """The smallest n >= 2 with probability_inside(sigma, margin, n) >= power."""
    for n in range(2, MAX_SEEDS + 1):
        if probability_inside(sigma, margin, n, confidence) >= power:
            return n
    raise ValueError(f"no n up to {MAX_SEEDS} seeds reaches {power:.0%} at sigma {sigma} and margin {margin}")


@dataclass(frozen=True)
class Spread:
    """The sample standard deviation of one run's per-seed NumPy - PyTorch differences in one metric."""

    sigma: float  # in the metric's unit: accuracy as a fraction (0.001 = 0.1 pp), loss in nats
    run: str  # which run measured it: machine, fingerprint, seeds, where it is recorded


# The spreads measured before the rule was applied, per architecture and metric, in the configuration params.yaml
# trains (the MLP of 6 epochs; the CNN of 4 epochs with dropout). Accuracy spreads of the AVX2 imitation are those
# recorded in the issue that asked for this rule, which gives them to three decimals of a percentage point;
# the imitation runs' loss spreads were not recorded. Whatever they were, the loss never decides n here: its spreads
# are a fifth of its margin, against nearly the whole margin for accuracy (docs/verdict.md).
PILOT_SPREADS: dict[str, dict[str, tuple[Spread, ...]]] = {
    "mlp": {
        "test_accuracy": (
            Spread(0.000577, "AMD EPYC AVX2 (family 25 model 1), 5 seeds, metrics/comparison.json at 79bbe19"),
            Spread(0.000829, "Intel Xeon AVX-512 (family 6 model 167), 5 seeds, metrics/comparison.json at 91b1366"),
            Spread(0.00096, "the same Intel Xeon imitating AVX2, 5 seeds, recorded in docs/verdict.md"),
        ),
        "test_loss": (
            Spread(0.001035, "AMD EPYC AVX2 (family 25 model 1), 5 seeds, metrics/comparison.json at 79bbe19"),
            Spread(0.000945, "Intel Xeon AVX-512 (family 6 model 167), 5 seeds, metrics/comparison.json at 91b1366"),
        ),
    },
    "cnn": {
        "test_accuracy": (
            Spread(0.000268, "Intel Xeon AVX-512 (family 6 model 167), 5 seeds, metrics/comparison.json at 91b1366"),
            Spread(0.00074, "the same Intel Xeon imitating AVX2, 5 seeds, recorded in docs/verdict.md"),
        ),
        "test_loss": (
            Spread(0.000683, "Intel Xeon AVX-512 (family 6 model 167), 5 seeds, metrics/comparison.json at 91b1366"),
        ),
    },
}
REGISTERED_ON = "2026-12-07"  # the day the rule and its n were committed, before any seed beyond the fifth ran


def seeds_by_metric(architecture: str) -> dict[str, int]:
    """For each metric, n at the largest pilot spread, with the registered margins and confidence."""
    confidence, margins = REGISTERED_RULE["confidence"], REGISTERED_RULE["margins"]
    return {
        metric: seeds_for(max(s.sigma for s in PILOT_SPREADS[architecture][metric]), margins[metric], confidence)
        for metric in METRICS
    }


def registered_seeds(architecture: str) -> int:
    """The number of seeds the rule gives an architecture: the larger n of its metrics."""
    return max(seeds_by_metric(architecture).values())
