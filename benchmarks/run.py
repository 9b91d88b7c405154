"""Benchmarks: NumPy vs PyTorch vs the machine's limit, side by side. Not part of `dvc repro`, and not a test.

    python -m benchmarks.run                      # every part (minutes; docs/performance.md)
    python -m benchmarks.run --skip-pipeline      # without the fresh-clone `dvc repro` and the sweep
    python -m benchmarks.run --only sweep photo   # just these parts, merged into benchmarks/results.json
    python -m benchmarks.serve                    # the same as --only serve

Each part is a module of this package (PARTS below); each times real code paths on the prepared data from
`dvc repro`, returns its figures for benchmarks/results.json and its rows of the printed table.

benchmarks/results.json keeps one entry per machine, under a label made from its fingerprint (processor family and
model, the kernels OpenBLAS, NumPy and torch picked, threads: what metrics/runs.json records): a run replaces its
own machine's entry (or, with --only, those parts of it) and leaves the other machines' alone, so that the
processor generations this project runs on are compared side by side rather than one overwriting the other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from types import ModuleType

import torch

from benchmarks import epochs, gpu, oracle, parse, peak, photo, pipeline, serve, sweep
from benchmarks.common import ROOT, Context, Row
from mnist_numpy_vs_torch import machine
from mnist_numpy_vs_torch.params import load_params

PARTS: dict[str, ModuleType] = {  # in the order they run and print
    "peak": peak,
    "epochs": epochs,
    "parse": parse,
    "pipeline": pipeline,
    "sweep": sweep,
    "photo": photo,
    "oracle": oracle,
    "serve": serve,
    "gpu": gpu,
}
FRESH_CLONE_PARTS = ("pipeline", "sweep")  # what --skip-pipeline leaves out: minutes each


def table(results: dict) -> str:
    rows: list[Row] = [("measurement", "value", "target")]
    for part in PARTS.values():
        try:
            rows += part.rows(results)
        except KeyError:  # not measured in this results file
            continue
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared-dir", type=Path, default=ROOT / "data" / "prepared")
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "data" / "raw")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pipeline", action="store_true", help=f"leave out {', '.join(FRESH_CLONE_PARTS)}")
    parser.add_argument("--only", nargs="+", choices=list(PARTS), help="run only these parts; merge them into --out")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args(argv)
    params = load_params(ROOT / "params.yaml")
    threads = machine.threads_for(params.train_numpy.threads)
    torch.set_num_threads(machine.threads_for(params.train_torch.threads))
    mirror = os.environ.get("MNIST_MIRROR") or str(args.raw_dir.resolve())
    context = Context(params, args.prepared_dir, args.raw_dir, mirror, args.rounds, threads)

    numpy_environment = machine.numpy_environment(threads)
    torch_environment = machine.torch_environment("cpu", threads)
    fingerprint = numpy_environment["fingerprint"] | torch_environment["fingerprint"]
    label = machine_label(machine.cpu_name(), fingerprint)
    machines = json.loads(args.out.read_text())["machines"] if args.out.is_file() else {}
    fresh = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu": machine.cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
        "fingerprint": fingerprint,
        "versions": {"numpy": numpy_environment, "torch": torch_environment},
    }
    results = machines.get(label, fresh) if args.only else fresh
    chosen = args.only or [name for name in PARTS if not (args.skip_pipeline and name in FRESH_CLONE_PARTS)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    commit = commit.strip() + (" with changes" if dirty() else "")
    print(f"this machine: {label}; code {commit}", flush=True)
    for name in chosen:
        results |= PARTS[name].run(context)
        results.setdefault("measured_on", {})[name] = time.strftime("%Y-%m-%d")  # parts of one entry differ in age
        results.setdefault("commit", {})[name] = commit
        print(f"{name}: done", flush=True)
    machines[label] = results
    args.out.write_text(json.dumps({"machines": dict(sorted(machines.items()))}, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten to {args.out}, entry {label!r} ({len(machines)} machine(s) in it)")


def dirty() -> bool:
    """Whether the checkout's code or params differ from its commit (the figures are then of no commit)."""
    paths = ["*.py", "params.yaml", "dvc.yaml", "constraints.txt"]
    status = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True)
    return bool(status.stdout.strip())


def machine_label(cpu: str, fingerprint: dict) -> str:
    """A machine's entry in results.json, readable and as fine as what decides the figures: the processor's name,
    family and model (its generation), the kernels OpenBLAS and torch picked, and the threads."""

    def one(key: str) -> str:  # several BLAS libraries loaded (NumPy's, SciPy's) each report theirs
        return "/".join(dict.fromkeys(fingerprint.get(key, "?").split(", ")))

    imitated = ", ".join(f"{key[4:]}={value}" for key, value in sorted(fingerprint.items()) if key.startswith("env_"))
    return (
        f"{cpu}, family {fingerprint.get('cpu_family', '?')} model {fingerprint.get('cpu_model', '?')}: "
        f"OpenBLAS {one('blas_core')}, torch {one('torch_cpu_capability')}, {one('blas_threads')} threads"
        + (f", imitating a narrower processor ({imitated})" if imitated else "")
    )


if __name__ == "__main__":
    main()
