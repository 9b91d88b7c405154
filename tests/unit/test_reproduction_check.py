"""The one rule for "reproduced": bit-identical where the fingerprint of what decides the bits is the same, within
the seeds' own spread where it is not, saying which fields differ."""

from __future__ import annotations

import copy
from pathlib import Path

from mnist_numpy_vs_torch import machine
from mnist_numpy_vs_torch.comparison.reproduction import check, tolerance


def scores(accuracy: float = 0.986, loss: float = 0.050, std: float = 0.0005) -> dict:
    def figure(value: float) -> dict:
        return {"mean": value, "std": std, "seeds": {f"seed-{s}": value for s in range(5)}}

    split = {"accuracy": figure(accuracy), "loss": figure(loss)}
    return {"mlp": {f: {"test": copy.deepcopy(split), "val": copy.deepcopy(split)} for f in ("numpy", "torch")}}


def runs(**changed: str) -> dict:
    fingerprint = {"cpu_vendor": "AuthenticAMD", "cpu_family": "25", "cpu_model": "1", "cpu_stepping": "1"}
    return {"mlp": {framework: {"fingerprint": fingerprint | changed} for framework in ("numpy", "torch")}}


def test_the_same_fingerprint_demands_bit_identical_scores_and_names_the_first_key_that_differs() -> None:
    said, found = check(scores(), scores(), runs(), runs())
    assert found == [] and all("same fingerprint" in line for line in said)
    reproduced = scores()
    reproduced["mlp"]["numpy"]["test"]["accuracy"]["seeds"]["seed-3"] += 1e-12
    said, found = check(scores(), reproduced, runs(), runs())
    assert found == [
        "metrics/scores.json: mlp.numpy.test.accuracy.seeds.seed-3: 0.986 committed, 0.986000000001 reproduced: "
        "not bit-identical, though the fingerprint is the same"
    ]


def test_another_processor_generation_is_judged_within_the_seed_spread_and_says_what_differs() -> None:
    reproduced = scores()
    reproduced["mlp"]["numpy"]["test"]["accuracy"]["seeds"]["seed-3"] += 1e-4  # the bits moved, as on a newer processor
    reproduced["mlp"]["numpy"]["test"]["accuracy"]["mean"] += 0.0009  # within 3 * 0.0005 * sqrt(2 / 5) = 0.00095
    said, found = check(scores(), reproduced, runs(), runs(cpu_family="26", numpy_simd="X86_V4"))
    assert found == []
    assert said[0].startswith("mlp.numpy: another fingerprint than the committed run's (cpu_family: 25 -> 26; ")
    assert "numpy_simd: (none) -> X86_V4" in said[0]


def test_a_figure_outside_the_tolerance_fails_on_another_fingerprint() -> None:
    reproduced = scores()
    reproduced["mlp"]["torch"]["val"]["loss"]["mean"] += 0.0010
    _, found = check(scores(), reproduced, runs(), runs(cpu_model="17"))
    assert found == [
        "mlp.torch.val.loss.mean: 0.05000 committed, 0.05100 reproduced "
        "(differs by 0.00100 > 0.00095, 3 standard errors)"
    ]


def test_each_framework_is_judged_by_its_own_fingerprint() -> None:
    reproduced = scores()
    reproduced["mlp"]["torch"]["test"]["loss"]["seeds"]["seed-0"] += 1e-6
    new_torch = runs()
    new_torch["mlp"]["torch"]["fingerprint"] |= {"torch_cpu_capability": "AVX512"}
    said, found = check(scores(), reproduced, runs(), new_torch)
    assert (
        found == [] and "mlp.numpy: same fingerprint" in said[0] and "torch_cpu_capability: (none) -> AVX512" in said[1]
    )


def test_a_committed_run_without_a_fingerprint_counts_as_another_environment() -> None:
    said, _ = check(scores(), scores(), {"mlp": {"numpy": {}, "torch": {}}}, runs())
    assert "fingerprint: not recorded in the committed run" in said[0]


def test_the_tolerance_is_three_standard_errors_of_a_difference_of_two_means() -> None:
    figure = scores()["mlp"]["numpy"]["test"]["accuracy"]
    assert tolerance(figure, figure) == 3 * 0.0005 * (2 / 5) ** 0.5


def test_accuracy_below_the_target_fails_even_if_committed_that_way() -> None:
    low = scores(accuracy=0.982)
    _, found = check(low, low, runs(), runs())
    assert found == [
        "mlp.numpy.test.accuracy.mean: 0.9820 is below 0.985",
        "mlp.torch.test.accuracy.mean: 0.9820 is below 0.985",
    ]


def test_a_missing_framework_is_named() -> None:
    reproduced = scores()
    del reproduced["mlp"]["torch"]
    _, found = check(scores(), reproduced, runs(), runs(cpu_family="26"))
    assert "mlp.torch.test: missing from the reproduced metrics" in found


def test_the_fingerprint_reads_the_processor_generation_not_just_its_name(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n"
        "stepping\t: 0\n\nprocessor\t: 1\nvendor_id\t: other\n"
    )
    assert machine.cpu_identity(cpuinfo) == {
        "cpu_vendor": "AuthenticAMD",
        "cpu_family": "26",
        "cpu_model": "2",
        "cpu_stepping": "0",
    }
    recorded = machine.numpy_environment(threads=1)["fingerprint"]
    assert {"numpy", "numpy_simd", "blas", "blas_core", "blas_threads", "cpu_family"} <= set(recorded)
