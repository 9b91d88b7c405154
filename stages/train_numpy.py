"""train_numpy stage: train the NumPy MLP once per seed; write seed-N.npz weights and seed-N.tsv logs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from threadpoolctl import threadpool_limits

from stages import cli, seeding, training
from stages.atomic import write_text
from stages.machine import numpy_environment
from stages.mlp_numpy import NumpyMLP, SGDTrainer, evaluate
from stages.params import load_params


def train_seed(data: training.TrainingData, model_params: dict, train: dict, seed: int) -> tuple[NumpyMLP, list]:
    model = NumpyMLP(seeding.initial_weights(model_params["hidden"], model_params["init"], seed))
    trainer = SGDTrainer(model, train["batch_size"], train["momentum"], train["weight_decay"])
    records = training.fit(
        "numpy",
        lambda order, lrs: trainer.train_epoch(data.x, data.y, order, train["batch_size"], lrs),
        lambda: evaluate(model, data.val_x, data.val_y),
        len(data.y),
        train,
        seed,
    )
    return model, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    params = load_params()
    data = training.load_training_data(args.prepared_dir)
    threads = params["train_numpy"]["threads"]
    with threadpool_limits(limits=threads, user_api="blas"):
        for seed in params["train"]["seeds"]:
            model, records = train_seed(data, params["model"], params["train"], seed)
            model.save(args.out_dir / f"seed-{seed}.npz")
            training.write_log(args.out_dir / f"seed-{seed}.tsv", records)
        write_text(args.out_dir / "run.json", json.dumps(numpy_environment(threads), indent=2) + "\n")


if __name__ == "__main__":
    cli.run(main)
