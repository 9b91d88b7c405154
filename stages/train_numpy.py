"""train_numpy stage: train the NumPy MLP once per seed; write seed-N.npz weights and seed-N.tsv logs."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_numpy_vs_torch import cli, dataset, params, seeding, training
from mnist_numpy_vs_torch.atomic import write_json
from mnist_numpy_vs_torch.machine import numpy_environment, threads_for
from mnist_numpy_vs_torch.mlp_numpy import NumpyMLP, SGDTrainer, evaluate
from mnist_numpy_vs_torch.params import ModelParams, TrainParams
from mnist_numpy_vs_torch.saved_models import log_path, model_path, run_path
from mnist_numpy_vs_torch.training_log import EpochRecord, write_log


def train_seed(
    inputs: training.EpochInputs,
    labels: np.ndarray,
    val_set: dataset.Inputs,
    model: ModelParams,
    train: TrainParams,
    seed: int,
) -> tuple[NumpyMLP, list[EpochRecord]]:
    network = NumpyMLP(seeding.initial_weights(model.hidden, model.init, seed))
    trainer = SGDTrainer(network, train.batch_size, train.momentum, train.weight_decay)
    records = training.fit(
        "numpy",
        lambda x, order, lrs: trainer.train_epoch(x, labels, order, train.batch_size, lrs),
        lambda: evaluate(network, val_set.x, val_set.y),
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
    stage = params.for_stage("train_numpy")
    train_set, val_set = dataset.load_split(args.prepared_dir, "train"), dataset.load_inputs(args.prepared_dir, "val")
    inputs = training.EpochInputs(
        train_set.images, dataset.load_normaliser(args.prepared_dir), max_shift=stage.train.shift
    )
    labels = train_set.labels.astype(np.int64)
    threads = threads_for(stage.train_numpy.threads)
    with threadpool_limits(limits=threads, user_api="blas"):
        for seed in stage.train.seeds:
            network, records = train_seed(inputs, labels, val_set, stage.model, stage.train, seed)
            network.save(model_path(args.out_dir, "numpy", seed))
            write_log(log_path(args.out_dir, seed), records)
        write_json(run_path(args.out_dir), numpy_environment(threads))


if __name__ == "__main__":
    cli.run(main)
