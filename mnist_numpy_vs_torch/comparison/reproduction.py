"""Does a reproduced run keep the committed results? The one rule for "reproduced", which CI and the tests apply.

    python -m mnist_numpy_vs_torch.comparison.reproduction     # committed (git HEAD) vs workspace metrics

Per model (architecture and framework), by the fingerprint of what decides the bits (metrics/runs.json,
machine.py: processor generation, the instruction sets each library dispatches to, library versions, thread counts,
device):
- Same fingerprint: training is deterministic, so that model's figures in metrics/scores.json must be
  bit-identical to the committed ones; the first key that differs is named.
- Another fingerprint: float32 rounding differs, and the chaotic first steps amplify it, so each seed's run is in
  effect a fresh draw. Each mean must then lie within 3 standard errors of a difference of two n-seed means,
  3 s sqrt(2/n), with s the larger of the two runs' standard deviations over seeds; the fields that differ are
  printed, so that nobody has to guess why the bits moved.
- Always: both frameworks reach MINIMUM_TEST_ACCURACY on test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

SCORES = "metrics/scores.json"
RUNS = "metrics/runs.json"
STANDARD_ERRORS = 3.0
MINIMUM_TEST_ACCURACY = 0.985


def models(tree: dict) -> dict[str, dict]:
    """{architecture: {framework: x}} (scores.json, runs.json) as {"architecture.framework": x}."""
    return {
        f"{architecture}.{framework}": x
        for architecture, frameworks in tree.items()
        for framework, x in frameworks.items()
    }


def fingerprint_changes(committed_run: dict, reproduced_run: dict) -> list[str]:
    """The fingerprint fields of one model's run that differ, as `field: committed -> reproduced`."""
    was, now = committed_run.get("fingerprint"), reproduced_run.get("fingerprint")
    if was is None or now is None:
        return ["fingerprint: " + ("not recorded in the committed run" if was is None else "not recorded now")]
    return [
        f"{k}: {was.get(k, '(none)')} -> {now.get(k, '(none)')}"
        for k in sorted({*was, *now})
        if was.get(k) != now.get(k)
    ]


def first_difference(was: object, now: object, key: str = "") -> str | None:
    """The dotted key of the first value that differs between two JSON trees, with both values; None if equal."""
    if isinstance(was, dict) and isinstance(now, dict):
        for name in sorted({*was, *now}):
            found = first_difference(was.get(name), now.get(name), f"{key}.{name}" if key else name)
            if found:
                return found
        return None
    return None if was == now else f"{key}: {was!r} committed, {now!r} reproduced"


def tolerance(committed: dict, reproduced: dict) -> float:
    """3 standard errors of the difference of two means over the same number of seeds."""
    n = len(committed["seeds"])
    spread = max(committed["std"], reproduced["std"])
    return STANDARD_ERRORS * spread * math.sqrt(2 / n)


def problems(committed: dict, reproduced: dict, *, same_fingerprint: Collection[str]) -> list[str]:
    """Every way `reproduced` breaks the contract with `committed` (both keyed "architecture.framework"), as
    sentences; empty when it holds. The models in `same_fingerprint` ran where the committed run did, and must
    match it bit for bit."""
    found = []
    for framework in sorted(committed):
        if framework in same_fingerprint:
            difference = first_difference(committed[framework], reproduced.get(framework), framework)
            if difference:
                found.append(f"{SCORES}: {difference}: not bit-identical, though the fingerprint is the same")
            continue
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
    for framework in sorted(committed):
        accuracy = reproduced.get(framework, {}).get("test", {}).get("accuracy", {}).get("mean", 0.0)
        if accuracy < MINIMUM_TEST_ACCURACY:
            found.append(f"{framework}.test.accuracy.mean: {accuracy:.4f} is below {MINIMUM_TEST_ACCURACY}")
    return found


def check(
    committed: dict, reproduced: dict, committed_runs: dict, reproduced_runs: dict
) -> tuple[list[str], list[str]]:
    """The rule applied to scores.json and runs.json as the pipeline writes them: (what it says of each model, the
    problems). No problems means reproduced."""
    committed, reproduced = models(committed), models(reproduced)
    committed_runs, reproduced_runs = models(committed_runs), models(reproduced_runs)
    said, same = [], set()
    for framework in sorted(committed):
        changes = fingerprint_changes(committed_runs.get(framework, {}), reproduced_runs.get(framework, {}))
        if changes:
            said.append(f"{framework}: another fingerprint than the committed run's ({'; '.join(changes)}): figures")
            said[-1] += f" must lie within {STANDARD_ERRORS:g} standard errors of the committed ones"
        else:
            same.add(framework)
            said.append(f"{framework}: same fingerprint as the committed run: figures must be bit-identical")
    return said, problems(committed, reproduced, same_fingerprint=same)


def committed_json(path: str) -> dict:
    shown = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, check=True, text=True)
    return json.loads(shown.stdout)


def main() -> None:
    said, found = check(
        committed_json(SCORES),
        json.loads(Path(SCORES).read_text()),
        committed_json(RUNS),
        json.loads(Path(RUNS).read_text()),
    )
    for line in said:
        print(line)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print("reproduced: every model's figures keep the committed ones under the rule above")


if __name__ == "__main__":
    main()
