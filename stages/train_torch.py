"""train_torch@<architecture> stages: train a PyTorch network once per seed (0..seeds-1 of its params.yaml section),
on CUDA when present; write seed-N.pt state_dicts, seed-N.tsv logs and run.json, and the epochs' seconds to a
timings file apart."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.atomic import write_json
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.machine import threads_for, torch_environment
from mnist_numpy_vs_torch.models import torch_nn
from mnist_numpy_vs_torch.models.folders import log_path, model_path, run_path
from mnist_numpy_vs_torch.models.spec import architecture_named
from mnist_numpy_vs_torch.training.log import write_log, write_timings
from mnist_numpy_vs_torch.training.loop import EpochInputs
from mnist_numpy_vs_torch.training.torch_steps import configure, resolve_device, train_seed

log = logging.getLogger(__name__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("architecture", help="its params.yaml section and models/<architecture>.py: mlp, cnn")
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("timings", type=Path, help="where the epochs' seconds go (JSON, outside out_dir)")
    args = parser.parse_args()
    architecture = architecture_named(args.architecture)
    stage = params.for_stage(f"train_torch@{architecture.name}")
    section = getattr(stage, architecture.name)
    device = resolve_device(stage.train_torch.device)
    log.info("torch %s on %s", torch.__version__, device)
    train_set, val_set = dataset.load_split(args.prepared_dir, "train"), dataset.load_inputs(args.prepared_dir, "val")
    inputs = EpochInputs(train_set.images, dataset.load_normaliser(args.prepared_dir), max_shift=stage.train.shift)
    labels = train_set.labels.astype(np.int64)
    threads = threads_for(stage.train_torch.threads)
    logs = {}
    for seed in range(section.seeds):
        configure(threads, seed)
        network, logs[seed] = train_seed(architecture, section, inputs, labels, val_set, seed, device)
        torch_nn.save(network, model_path(args.out_dir, "torch", seed))
        write_log(log_path(args.out_dir, seed), logs[seed])
    write_json(run_path(args.out_dir), torch_environment(device.type, threads))
    write_timings(args.timings, logs, len(labels))


if __name__ == "__main__":
    cli.run(main)
