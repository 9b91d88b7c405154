"""Benchmarks: NumPy vs PyTorch vs the machine's limit, side by side. Not part of `dvc repro`, and not a test.

    python -m benchmarks.run                      # every part (about ten minutes on two cores)
    python -m benchmarks.run --skip-pipeline      # without the fresh-clone `dvc repro` and the sweep
    python -m benchmarks.run --only sweep photo   # just these parts, merged into benchmarks/results.json

Each part is a module of this package (PARTS below); each times real code paths on the prepared data from
`dvc repro`, returns its figures for benchmarks/results.json and its rows of the printed table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared-dir", type=Path, default=ROOT / "data" / "prepared")
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "data" / "raw")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pipeline", action="store_true", help=f"leave out {', '.join(FRESH_CLONE_PARTS)}")
    parser.add_argument("--only", nargs="+", choices=list(PARTS), help="run only these parts; merge them into --out")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    threads = machine.threads_for(params.train_numpy.threads)
    torch.set_num_threads(machine.threads_for(params.train_torch.threads))
    mirror = os.environ.get("MNIST_MIRROR") or str(args.raw_dir.resolve())
    context = Context(params, args.prepared_dir, args.raw_dir, mirror, args.rounds, threads)

    if args.only:
        results, chosen = json.loads(args.out.read_text()), args.only
    else:
        results = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": {"cpu": machine.cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
            "versions": {
                "numpy": machine.numpy_environment(threads),
                "torch": machine.torch_environment("cpu", threads),
            },
        }
        chosen = [name for name in PARTS if not (args.skip_pipeline and name in FRESH_CLONE_PARTS)]
    for name in chosen:
        results |= PARTS[name].run(context)
        results.setdefault("measured_on", {})[name] = time.strftime("%Y-%m-%d")  # parts of one file differ in age
        print(f"{name}: done", flush=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
