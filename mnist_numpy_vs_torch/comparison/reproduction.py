"""Does a reproduced run keep the committed results? The check CI runs after `dvc repro`.

    python -m mnist_numpy_vs_torch.comparison.reproduction     # committed (git HEAD) vs workspace metrics

What it guarantees, and why:
- Same environment (metrics/runs.json equal to the committed one: processor, library and BLAS versions, device,
  threads): training is deterministic, so metrics/scores.json must be bit-identical to the committed file.
- Another environment: float32 rounding differs (another BLAS or processor), and the chaotic first steps amplify it,
  so each seed's run is in effect a fresh draw. Each mean must then lie within 3 standard errors of a difference of
  two n-seed means, 3 s sqrt(2/n), with s the larger of the two runs' standard deviations over seeds. A run on
  another kind of device (GPU instead of CPU) is compared this way too, and the check says so.
- Always: both frameworks reach MINIMUM_TEST_ACCURACY on test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

SCORES = "metrics/scores.json"
RUNS = "metrics/runs.json"
STANDARD_ERRORS = 3.0
MINIMUM_TEST_ACCURACY = 0.985


def device_kind(runs: dict) -> set[str]:
    return {run["device"].split(":", 1)[0] for run in runs.values()}


def tolerance(committed: dict, reproduced: dict) -> float:
    """3 standard errors of the difference of two means over the same number of seeds."""
    n = len(committed["seeds"])
    spread = max(committed["std"], reproduced["std"])
    return STANDARD_ERRORS * spread * math.sqrt(2 / n)


def problems(committed: dict, reproduced: dict, *, same_environment: bool) -> list[str]:
    """Every way `reproduced` breaks the contract with `committed`, as sentences; empty when it holds."""
    found = []
    if same_environment and committed != reproduced:
        found.append(f"{SCORES}: not bit-identical to the committed file, though the environment is the same")
    for framework in sorted(committed):
        for split in sorted(committed[framework]):
            now = reproduced.get(framework, {}).get(split)
            if now is None:
                found.append(f"{framework}.{split}: missing from the reproduced metrics")
                continue
            for quantity in ("accuracy", "loss"):
                was, new = committed[framework][split][quantity], now[quantity]
                allowed = tolerance(was, new)
                if abs(new["mean"] - was["mean"]) > allowed:
                    found.append(
                        f"{framework}.{split}.{quantity}.mean: {was['mean']:.5f} committed, {new['mean']:.5f} "
                        f"reproduced (differs by {abs(new['mean'] - was['mean']):.5f} > {allowed:.5f}, "
                        f"{STANDARD_ERRORS:g} standard errors)"
                    )
        accuracy = reproduced.get(framework, {}).get("test", {}).get("accuracy", {}).get("mean", 0.0)
        if accuracy < MINIMUM_TEST_ACCURACY:
            found.append(f"{framework}.test.accuracy.mean: {accuracy:.4f} is below {MINIMUM_TEST_ACCURACY}")
    return found


def committed_json(path: str) -> dict:
    shown = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, check=True, text=True)
    return json.loads(shown.stdout)


def main() -> None:
    committed, reproduced = committed_json(SCORES), json.loads(Path(SCORES).read_text())
    committed_runs, reproduced_runs = committed_json(RUNS), json.loads(Path(RUNS).read_text())
    same = committed_runs == reproduced_runs
    if not same:
        kinds = f"{'/'.join(sorted(device_kind(committed_runs)))} -> {'/'.join(sorted(device_kind(reproduced_runs)))}"
        print(f"another environment than the committed run's ({kinds}): comparing within the seed spread")
    found = problems(committed, reproduced, same_environment=same)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    if same:
        print("reproduced metrics are bit-identical to the committed ones (same environment)")
    else:
        print(f"reproduced metrics match the committed ones within {STANDARD_ERRORS:g} standard errors")


if __name__ == "__main__":
    main()
