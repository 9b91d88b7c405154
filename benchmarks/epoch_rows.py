"""The epoch races' targets, and the table rows of the races and of the NumPy step profiles in results.json."""

from __future__ import annotations

from benchmarks.common import Row
from benchmarks.races import SLOW_PEAK_FRACTION
from mnist_numpy_vs_torch.models import cnn, mlp

TARGETS = {
    "numpy_over_torch_default_model": 0.75,
    "numpy_over_torch_784_800_10_b512": 0.90,
    "numpy_share_of_peak_784_800_10_b512": 0.85,
    "numpy_over_torch_cnn": 1.0,
    # where torch runs AVX-512 kernels: its oneDNN convolutions gain far more from the wider vectors than NumPy's
    # im2col products do (docs/performance.md has the figures)
    "numpy_over_torch_cnn_avx512": 1.5,
}


def rows(results: dict) -> list[Row]:
    first, fingerprint = results["epochs"][0], results["fingerprint"]
    table = [row for each in results["epochs"] for row in race_rows(each, first, fingerprint)]
    return table + [row for profile in results["numpy_step_profile"] for row in profile_rows(profile)]


def race_rows(each: dict, first: dict, fingerprint: dict) -> list[Row]:
    """A race's epoch seconds, ratio, BLAS-only bound, share of the peak and slow rounds, against its targets."""
    threads = each["threads"]
    label = f"{each['model']} batch {each['batch_size']}, {threads} thread{'s' if threads > 1 else ''} each"
    seconds = f"{each['numpy_epoch_seconds']:.3f} s / {each['torch_epoch_seconds']:.3f} s"
    target = target_of(each, first, fingerprint)
    low, high = each["numpy_over_torch_range"]
    ratio = f"{each['numpy_over_torch']:.2f} (rounds {low:.2f}-{high:.2f})"
    bound = f"{each['blas_only_numpy_over_torch']:.2f}"
    low, high = each["numpy_share_of_peak_range"]
    share = f"{each['numpy_share_of_peak']:.0%} (rounds {low:.0%}-{high:.0%})"
    share_target = f">= {TARGETS['numpy_share_of_peak_784_800_10_b512']:.0%}" if matmul_bound(each, first) else ""
    slow = f"{each['slow_stretch_rounds']} of {len(each['rounds'])}"
    return [
        (f"epoch, {label}: NumPy / torch", seconds, ""),
        ("  NumPy/torch, median of per-round ratios", ratio, f"<= {target}" if target else ""),
        ("  NumPy/torch if all but the BLAS products took no time", bound, ""),
        ("  NumPy share of the same round's peak, median", share, share_target),
        (f"  rounds with the peak over {SLOW_PEAK_FRACTION:.0%} below the best", slow, ""),
    ]


def profile_rows(profile: dict) -> list[Row]:
    """A profiled NumPy step: its time traced and untraced, the BLAS products' part and the rest's, its top lines."""
    cores = profile["blas_cores"]
    on = f"BLAS on {cores} thread{'s' if cores > 1 else ''}"
    label = f"NumPy step, {profile['model']} batch {profile['batch_size']}, {on}, traced line by line"
    table = [(label, f"{profile['step_ms']:.2f} ms ({profile['untraced_step_ms']:.2f} ms untraced)", "")]
    for part, name in (("blas_products_ms", "lines with a BLAS product"), ("rest_ms", "all other lines")):
        table.append((f"  {name}", f"{profile[part]:.2f} ms ({profile[part] / profile['step_ms']:.0%})", ""))
    for line in profile["lines"][:6]:
        table.append((f"    {line['code'][:60]}", f"{line['ms_per_step']:.2f} ms ({line['share']:.0%})", ""))
    return table


def matmul_bound(each: dict, first: dict) -> bool:
    """Whether a race is of the matmul-bound MLP: an MLP raced at the stage's threads (the first race's) that is not
    the first race, the default MLP; benchmarks/epochs.py races them in that order."""
    return each["architecture"] == mlp.ARCHITECTURE.name and each is not first and each["threads"] == first["threads"]


def target_of(each: dict, first: dict, fingerprint: dict) -> float | None:
    """The ratio target of a race at the stage's threads (none for the one-thread races: they show the gap). The
    CNN's depends on the processor generation: torch's AVX-512 convolutions outrun its AVX2 ones by far more than
    NumPy's products do."""
    if each["threads"] == 1:
        return None
    if each["architecture"] == cnn.ARCHITECTURE.name:
        avx512 = fingerprint["torch_cpu_capability"] == "AVX512"
        return TARGETS["numpy_over_torch_cnn_avx512" if avx512 else "numpy_over_torch_cnn"]
    return TARGETS[
        "numpy_over_torch_784_800_10_b512" if matmul_bound(each, first) else "numpy_over_torch_default_model"
    ]
