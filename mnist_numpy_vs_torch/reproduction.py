"""Does a reproduced run keep the committed results? The check CI runs after `dvc repro`.

    python -m mnist_numpy_vs_torch.reproduction           # committed (git HEAD) vs workspace metrics/scores.json

Accuracy must stay within 0.1 percentage point and loss within 1% of the committed figures (BLAS may round
differently across machines), and test accuracy must not fall below 98.0% for either framework.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCORES = "metrics/scores.json"
ACCURACY_TOLERANCE_PP = 0.1
LOSS_TOLERANCE = 0.01
MINIMUM_TEST_ACCURACY = 0.98


def problems(committed: dict, reproduced: dict) -> list[str]:
    """Every way `reproduced` breaks the contract with `committed`, as sentences; empty when it holds."""
    found = []
    for framework in sorted(committed):
        for split in sorted(committed[framework]):
            was, now = committed[framework][split], reproduced.get(framework, {}).get(split)
            if now is None:
                found.append(f"{framework}.{split}: missing from the reproduced metrics")
                continue
            drift = abs(now["accuracy"]["mean"] - was["accuracy"]["mean"]) * 100
            if drift > ACCURACY_TOLERANCE_PP:
                found.append(
                    f"{framework}.{split}.accuracy.mean: {was['accuracy']['mean']:.4f} committed, "
                    f"{now['accuracy']['mean']:.4f} reproduced ({drift:.2f} pp > {ACCURACY_TOLERANCE_PP} pp)"
                )
            loss_drift = abs(now["loss"]["mean"] / was["loss"]["mean"] - 1)
            if loss_drift > LOSS_TOLERANCE:
                found.append(
                    f"{framework}.{split}.loss.mean: {was['loss']['mean']:.5f} committed, "
                    f"{now['loss']['mean']:.5f} reproduced ({loss_drift:.1%} > {LOSS_TOLERANCE:.0%})"
                )
        accuracy = reproduced.get(framework, {}).get("test", {}).get("accuracy", {}).get("mean", 0.0)
        if accuracy < MINIMUM_TEST_ACCURACY:
            found.append(f"{framework}.test.accuracy.mean: {accuracy:.4f} is below {MINIMUM_TEST_ACCURACY}")
    return found


def main() -> None:
    committed = json.loads(
        subprocess.run(["git", "show", f"HEAD:{SCORES}"], capture_output=True, check=True, text=True).stdout
    )
    reproduced = json.loads(Path(SCORES).read_text())
    found = problems(committed, reproduced)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print("reproduced metrics match the committed ones within tolerance")


if __name__ == "__main__":
    main()
