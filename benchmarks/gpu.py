"""On CUDA: wall seconds of the torch trainer (the MLP's params) until test accuracy first reaches 98%."""

from __future__ import annotations

import time

import torch

from benchmarks.common import Context, Row
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import mlp, torch_nn
from mnist_numpy_vs_torch.training.batches import epoch_order
from mnist_numpy_vs_torch.training.loop import run_learning_rates
from mnist_numpy_vs_torch.training.torch_steps import configure, network, trainer


def run(context: Context) -> dict:
    if not torch.cuda.is_available():
        return {"gpu_time_to_98": None}
    device = torch.device("cuda")
    test = dataset.load_inputs(context.prepared_dir, "test")
    test_x, test_y = torch.from_numpy(test.x).to(device), torch.from_numpy(test.y).to(device)
    recipe, data = context.params.mlp, context.train
    configure(1, seed=0)
    model = network(mlp.ARCHITECTURE, recipe, seed=0).to(device)
    steps = trainer(model, recipe)
    x, y = torch.from_numpy(data.x).to(device), torch.from_numpy(data.y).to(device)
    lrs = run_learning_rates(recipe, len(data))
    torch.cuda.synchronize()
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        steps.train_epoch(x, y, epoch_order(len(data.y), 0, epoch), recipe.batch_size, lrs[epoch])
        accuracy = torch_nn.evaluate(model, test_x, test_y)[1]
        if accuracy >= 0.98:
            torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            return {"gpu_time_to_98": {"device": torch.cuda.get_device_name(), "epochs": epoch + 1, "seconds": seconds}}
    return {"gpu_time_to_98": {"device": torch.cuda.get_device_name(), "epochs": None, "seconds": None}}


def rows(results: dict) -> list[Row]:
    gpu = results.get("gpu_time_to_98")
    value = "no GPU here" if gpu is None else f"{gpu['seconds']} s ({gpu['device']})"
    return [("torch on GPU, time to 98% test accuracy", value, "")]
