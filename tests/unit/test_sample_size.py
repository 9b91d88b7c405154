"""The registered sample-size rule: the exact probability it computes agrees with a simulation of the t-interval,
and params.yaml trains the number of seeds it gives each architecture."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy import stats

from mnist_numpy_vs_torch.comparison import rule, sample_size
from mnist_numpy_vs_torch.comparison.rule import REGISTERED_RULE
from tests.project import ROOT

CONFIDENCE, MARGIN = REGISTERED_RULE["confidence"], REGISTERED_RULE["margins"]["test_accuracy"]
TRIALS = 1_000_000


def simulated_inside(sigma: float, margin: float, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """The share of TRIALS runs of n seeds, each difference drawn from N(0, sigma^2), whose 95% t-interval lies
    inside +-margin, computed as the rule computes an interval (checked below); and the standard error of that
    share. It shares nothing with the quadrature but the t quantile."""
    t = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)
    inside = 0
    for _ in range(10):
        d = rng.normal(0.0, sigma, size=(TRIALS // 10, n))
        half = t * d.std(axis=1, ddof=1) / np.sqrt(n)
        mean = d.mean(axis=1)
        inside += int(((mean - half >= -margin) & (mean + half <= margin)).sum())
    share = inside / TRIALS
    return share, float(np.sqrt(share * (1 - share) / TRIALS))


@pytest.mark.parametrize(("sigma", "n"), [(0.00096, 14), (0.00096, 15), (0.00074, 9), (0.00074, 10), (0.0005, 3)])
def test_the_exact_probability_agrees_with_a_simulation(sigma: float, n: int) -> None:
    rng = np.random.default_rng(n)
    share, error = simulated_inside(sigma, MARGIN, n, rng)
    # 4 standard errors: were the formula right, a seeded draw this far off would come once in about 16,000 seeds
    assert sample_size.probability_inside(sigma, MARGIN, n, CONFIDENCE) == pytest.approx(share, abs=4 * error)


def test_the_pilot_spreads_give_15_seeds_to_the_mlp_and_10_to_the_cnn_as_a_simulation_confirms() -> None:
    """At the largest pilot spreads (0.096 pp and 0.074 pp), n - 1 seeds land inside the margin less than 90% of
    the time and n seeds more, in the simulation."""
    assert sample_size.registered_seeds("mlp") == 15 and sample_size.registered_seeds("cnn") == 10
    rng = np.random.default_rng(0)
    for architecture, n in (("mlp", 15), ("cnn", 10)):
        sigma = max(s.sigma for s in sample_size.PILOT_SPREADS[architecture]["test_accuracy"])
        fewer, error_fewer = simulated_inside(sigma, MARGIN, n - 1, rng)
        enough, error_enough = simulated_inside(sigma, MARGIN, n, rng)
        assert fewer + 3 * error_fewer < sample_size.POWER < enough - 3 * error_enough, (architecture, fewer, enough)


def test_the_simulated_interval_is_the_one_the_rule_computes() -> None:
    rng = np.random.default_rng(1)
    for n in (3, 10, 15):
        d = rng.normal(0.0, 0.001, size=n)
        half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
        interval = rule.t_interval(d, CONFIDENCE)
        assert (interval.low, interval.high) == pytest.approx((d.mean() - half, d.mean() + half), abs=1e-15)


def test_accuracy_not_loss_decides_n_for_both_architectures() -> None:
    """Loss spreads are a fifth of the loss margin: 3 seeds would do for the loss alone."""
    for architecture in ("mlp", "cnn"):
        by_metric = sample_size.seeds_by_metric(architecture)
        assert by_metric["test_loss"] < by_metric["test_accuracy"] == sample_size.registered_seeds(architecture)


def test_a_wider_spread_or_a_narrower_margin_needs_more_seeds() -> None:
    assert sample_size.seeds_for(0.0005, MARGIN, CONFIDENCE) < sample_size.seeds_for(0.001, MARGIN, CONFIDENCE)
    assert sample_size.seeds_for(0.0005, MARGIN, CONFIDENCE) < sample_size.seeds_for(0.0005, MARGIN / 2, CONFIDENCE)
    assert sample_size.probability_inside(0.0, MARGIN, 2, CONFIDENCE) == 1.0
    with pytest.raises(ValueError, match="at least 2 seeds"):
        sample_size.probability_inside(0.001, MARGIN, 1, CONFIDENCE)


def test_params_yaml_trains_the_registered_number_of_seeds() -> None:
    """A seed count changed by hand, after seeing results, is the mistake the rule exists to prevent."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for architecture in sample_size.PILOT_SPREADS:
        assert params[architecture]["seeds"] == sample_size.registered_seeds(architecture), architecture
