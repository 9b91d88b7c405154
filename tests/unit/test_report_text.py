"""The report's sentences on constructed verdicts and benchmarks: the branches the committed report does not take
(one seed, inconclusive, a systematic difference inside the margin, a speed table without a benchmark)."""

from __future__ import annotations

from mnist_numpy_vs_torch.comparison import rule
from mnist_numpy_vs_torch.reporting.text import speed_section, verdict_sentence


def judged(verdict: str, mean: float, low: float | None, high: float | None, seeds_needed: int = 0) -> dict:
    return {
        "verdict": verdict,
        "mean_difference": mean,
        "ci_low": low,
        "ci_high": high,
        "margin": 0.005,
        "seeds_needed": seeds_needed,
    }


def comparison(split: str, quantity: str, verdict: dict, seeds: int = 5) -> dict:
    return {"confidence": 0.95, "seeds": seeds, split: {quantity: verdict}}


def test_an_equivalence_whose_interval_excludes_zero_names_the_framework_the_difference_favours() -> None:
    higher_loss_in_numpy = comparison("test", "loss", judged(rule.EQUIVALENT, 0.002, 0.001, 0.003))
    sentence = verdict_sentence("test", "loss", False, higher_loss_in_numpy)
    assert sentence.startswith("Test loss: **equivalent within ±0.0050 nats** (NumPy − PyTorch = +0.0020 nats, 95% ")
    assert sentence.endswith("a systematic difference of +0.0020 nats in PyTorch's favour, smaller than the margin.")
    higher_accuracy_in_numpy = comparison("val", "accuracy", judged(rule.EQUIVALENT, 0.0002, 0.0001, 0.0003))
    assert "+0.020 pp in NumPy's favour" in verdict_sentence("val", "accuracy", True, higher_accuracy_in_numpy)


def test_one_seed_has_no_interval_and_the_sentence_asks_for_a_second() -> None:
    one_seed = comparison("test", "accuracy", judged(rule.INCONCLUSIVE, 0.001, None, None), seeds=1)
    assert verdict_sentence("test", "accuracy", True, one_seed) == (
        "Test accuracy: **inconclusive: more seeds needed** (NumPy − PyTorch = +0.100 pp on 1 seed: one seed has no "
        "spread, so no interval; train at least two)."
    )


def test_an_inconclusive_verdict_says_how_many_seeds_would_settle_it_or_that_none_would() -> None:
    settled = comparison("test", "loss", judged(rule.INCONCLUSIVE, 0.001, -0.004, 0.006, seeds_needed=12))
    assert verdict_sentence("test", "loss", False, settled).endswith("about 12 seeds would settle it.")
    never = comparison("test", "loss", judged(rule.INCONCLUSIVE, 0.001, -0.004, 0.006, seeds_needed=0))
    assert verdict_sentence("test", "loss", False, never).endswith("no feasible number of seeds would settle it.")


def race(model: str, architecture: str, ratio: float) -> dict:
    return {
        "model": model,
        "architecture": architecture,
        "batch_size": 128,
        "threads": 2,
        "numpy_over_torch": ratio,
        "numpy_over_torch_range": [ratio - 0.1, ratio + 0.1],
        "blas_only_numpy_over_torch": 0.5,
    }


def test_the_speed_table_has_a_column_per_machine_and_the_blas_bound_under_the_cnn_rows_only() -> None:
    machine = {
        "date": "2026-01-01",
        "measured_on": {"epochs": "2026-01-01"},
        "machine": {"cores": 2},
        "epochs": [race("784-512-10", "mlp", 1.0), race("CNN 8 k5", "cnn", 1.4)],
    }
    unmeasured = {"date": "2026-01-02", "machine": {"cores": 4}, "epochs": []}
    table = speed_section({"machines": {"one": machine, "none": unmeasured}}).split("\n\n")[2].splitlines()
    assert table == [
        "| NumPy / PyTorch | one (2026-01-01) |",
        "|---|---:|",
        "| 784-512-10, batch 128, 2 threads each | 1.00 (rounds 0.90–1.10) |",
        "| CNN 8 k5, batch 128, 2 threads each | 1.40 (rounds 1.30–1.50) |",
        "| … if all but NumPy's BLAS products took no time | 0.50 |",
    ]


def test_without_a_recorded_benchmark_the_speed_section_says_nothing_of_speed() -> None:
    assert speed_section(None) == (
        "## Speed\n\nNo benchmark is recorded, so this report says nothing about which framework is faster.\n"
    )
