"""train_torch stage: train the PyTorch MLP once per seed; write seed-N.pt state_dicts and seed-N.tsv logs."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from mnist_numpy_vs_torch import cli, dataset, mlp_torch, params, seeding, training
from mnist_numpy_vs_torch.atomic import write_json
from mnist_numpy_vs_torch.machine import threads_for, torch_environment
from mnist_numpy_vs_torch.params import ModelParams, TrainParams
from mnist_numpy_vs_torch.saved_models import log_path, model_path, run_path
from mnist_numpy_vs_torch.training_log import EpochRecord, write_log

log = logging.getLogger(__name__)


def train_seed(
    inputs: training.EpochInputs,
    labels: np.ndarray,
    val_set: dataset.Inputs,
    model: ModelParams,
    train: TrainParams,
    seed: int,
    device: torch.device,
) -> tuple[torch.nn.Sequential, list[EpochRecord]]:
    network = mlp_torch.from_layers(seeding.initial_weights(model.hidden, model.init, seed)).to(device)
    trainer = mlp_torch.TorchTrainer(network, train.momentum, train.weight_decay)
    targets = torch.from_numpy(labels).to(device)
    val_x, val_y = torch.from_numpy(val_set.x).to(device), torch.from_numpy(val_set.y).to(device)
    records = training.fit(
        "torch",
        lambda x, order, lrs: trainer.train_epoch(
            torch.from_numpy(x).to(device), targets, order, train.batch_size, lrs
        ),
        lambda: mlp_torch.evaluate(network, val_x, val_y),
        inputs=inputs,
        train=train,
        seed=seed,
    )
    return network, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    stage = params.for_stage("train_torch")
    device = mlp_torch.resolve_device(stage.train_torch.device)
    log.info("torch %s on %s", torch.__version__, device)
    train_set, val_set = dataset.load_split(args.prepared_dir, "train"), dataset.load_inputs(args.prepared_dir, "val")
    inputs = training.EpochInputs(
        train_set.images, dataset.load_normaliser(args.prepared_dir), max_shift=stage.train.shift
    )
    labels = train_set.labels.astype(np.int64)
    threads = threads_for(stage.train_torch.threads)
    for seed in stage.train.seeds:
        mlp_torch.configure(threads, seed)
        network, records = train_seed(inputs, labels, val_set, stage.model, stage.train, seed, device)
        mlp_torch.save(network, model_path(args.out_dir, "torch", seed))
        write_log(log_path(args.out_dir, seed), records)
    write_json(run_path(args.out_dir), torch_environment(device.type, threads))


if __name__ == "__main__":
    cli.run(main)
