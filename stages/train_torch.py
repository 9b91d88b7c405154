"""train_torch stage: train the PyTorch MLP once per seed; write seed-N.pt state_dicts and seed-N.tsv logs."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch

from stages import cli, mlp_torch, seeding, training
from stages.atomic import write_text
from stages.machine import torch_environment
from stages.params import load_params

log = logging.getLogger(__name__)


def train_seed(
    data: training.TrainingData, model_params: dict, train: dict, seed: int, device: torch.device
) -> tuple[torch.nn.Sequential, list]:
    layers = seeding.initial_weights(model_params["hidden"], model_params["init"], seed)
    model = mlp_torch.from_layers(layers).to(device)
    trainer = mlp_torch.TorchTrainer(model, train["momentum"], train["weight_decay"])
    x, y = torch.from_numpy(data.x).to(device), torch.from_numpy(data.y).to(device)
    val_x, val_y = torch.from_numpy(data.val_x).to(device), torch.from_numpy(data.val_y).to(device)
    records = training.fit(
        "torch",
        lambda order, lrs: trainer.train_epoch(x, y, order, train["batch_size"], lrs),
        lambda: mlp_torch.evaluate(model, val_x, val_y),
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
    device = mlp_torch.resolve_device(params["train_torch"]["device"])
    log.info("torch %s on %s", torch.__version__, device)
    data = training.load_training_data(args.prepared_dir)
    for seed in params["train"]["seeds"]:
        mlp_torch.configure(params["train_torch"]["threads"], seed)
        model, records = train_seed(data, params["model"], params["train"], seed, device)
        mlp_torch.save(model, args.out_dir / f"seed-{seed}.pt")
        training.write_log(args.out_dir / f"seed-{seed}.tsv", records)
    environment = torch_environment(device.type, params["train_torch"]["threads"])
    write_text(args.out_dir / "run.json", json.dumps(environment, indent=2) + "\n")


if __name__ == "__main__":
    cli.run(main)
