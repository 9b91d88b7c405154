"""The CNN configurations tried on the validation split, never on the test split: how a configuration for the
pipeline is chosen before its rule is registered and its first test result exists (docs/models.md, docs/verdict.md).

    python -m benchmarks.validation                 # every configuration below, seeds 0 and 1, PyTorch's twin
    python -m benchmarks.validation --seeds 0 1 2   # more seeds
    python -m benchmarks.validation --only 8 9      # some of them (0 is the first)

Each configuration is params.yaml's `cnn` section with some keys replaced; each is trained as the training stage
trains it (the same shifts, order and initial weights per seed) and scored on the validation split after its last
epoch. PyTorch's twin is used because it trains the CNN faster; the parity tests prove the NumPy network takes the
same steps. Prints a Markdown table and the epoch seconds of each.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import ROOT
from mnist_numpy_vs_torch import machine
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import cnn
from mnist_numpy_vs_torch.params import load_params
from mnist_numpy_vs_torch.training import torch_steps
from mnist_numpy_vs_torch.training.loop import EpochInputs

CONFIGURATIONS = [  # changes to params.yaml's cnn section
    {},
    {"epochs": 4},
    {"dropout": 0.25},
    {"batch_norm": True},
    {"batch_norm": True, "lr": 0.1},
    {"batch_norm": True, "dropout": 0.25},
    {"batch_norm": True, "dropout": 0.25, "lr": 0.1},
    {"batch_norm": True, "dropout": 0.25, "epochs": 4},
    {"epochs": 4, "dropout": 0.25},
    {"epochs": 4, "lr": 0.1},
    {"epochs": 4, "batch_norm": True},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared-dir", type=Path, default=ROOT / "data" / "prepared")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--only", type=int, nargs="+", help="these configurations (0 is the first)")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    train = dataset.load_split(args.prepared_dir, "train")
    val = dataset.load_inputs(args.prepared_dir, "val")
    inputs = EpochInputs(train.images, dataset.load_normaliser(args.prepared_dir), max_shift=params.train.shift)
    labels = train.labels.astype(np.int64)
    threads = machine.threads_for(params.train_torch.threads)
    print("| configuration | validation accuracy, mean (per seed) | validation loss, mean | epoch seconds |")
    print("|---|---:|---:|---:|")
    for number, changes in enumerate(CONFIGURATIONS):
        if args.only and number not in args.only:
            continue
        section = dataclasses.replace(params.cnn, **changes)
        accuracies, losses, seconds = [], [], []
        for seed in args.seeds:
            torch_steps.configure(threads, seed)
            _, records = torch_steps.train_seed(
                cnn.ARCHITECTURE, section, inputs, labels, val, seed, torch.device("cpu")
            )
            accuracies.append(records[-1].val_accuracy)
            losses.append(records[-1].val_loss)
            seconds += [record.epoch_seconds for record in records]
        name = ", ".join(f"{key} {value}" for key, value in changes.items()) or "as params.yaml"
        each = " ".join(f"{a:.2%}" for a in accuracies)
        print(
            f"| {name} | {statistics.mean(accuracies):.2%} ({each}) | {statistics.mean(losses):.4f} "
            f"| {statistics.median(seconds):.1f} |",
            flush=True,
        )
    print(f"\n{time.strftime('%Y-%m-%d')}, {machine.cpu_name()}, seeds {args.seeds}, PyTorch on {threads} threads")


if __name__ == "__main__":
    main()
