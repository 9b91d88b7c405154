"""Timing races: NumPy's and PyTorch's trainers of one network, epoch for epoch on the same data and order, each
round held against the BLAS peak measured just before it, so that a slow stretch of the machine shows."""

from __future__ import annotations

import dataclasses
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from benchmarks.common import Context, median_and_range, numpy_peak_now
from benchmarks.flops import training_flops_per_sample
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import cnn
from mnist_numpy_vs_torch.models.spec import Architecture
from mnist_numpy_vs_torch.params import MLPParams, Recipe
from mnist_numpy_vs_torch.training import numpy_steps, torch_steps
from mnist_numpy_vs_torch.training.batches import epoch_order
from mnist_numpy_vs_torch.training.numpy_steps import NumpySteps
from mnist_numpy_vs_torch.training.torch_steps import TorchSteps

SLOW_PEAK_FRACTION = 0.15  # a round whose peak is this far below the run's best ran in a slow stretch


def trainers(
    architecture: Architecture, recipe: Recipe, shards: int = 1, threads: int = 1
) -> tuple[NumpySteps, TorchSteps]:
    """Both frameworks' trainers of the architecture's network of seed 0, made as the training stages make them
    (NumPy's convolutions in `shards` on `threads`)."""
    network = numpy_steps.network(architecture, recipe, seed=0)
    numpy_trainer = numpy_steps.trainer(network, recipe, shards, threads)
    return numpy_trainer, torch_steps.trainer(torch_steps.network(architecture, recipe, seed=0), recipe)


def mlp_recipe(recipe: MLPParams, hidden: list[int], batch_size: int) -> MLPParams:
    return dataclasses.replace(recipe, hidden=tuple(hidden), batch_size=batch_size)


def model_name(architecture: Architecture, recipe: Recipe) -> str:
    """The network as the table and results.json print it; code tells races apart by their `architecture`."""
    if architecture is cnn.ARCHITECTURE:
        shape = cnn.shape_of(recipe)
        return f"CNN {'-'.join(map(str, shape.channels))} k{shape.kernel}"
    return f"784-{'-'.join(map(str, recipe.hidden))}-10"


def race(context: Context, architecture: Architecture, recipe: Recipe, threads: int) -> dict:
    """Rounds of epochs of both frameworks' trainers of `architecture`, each framework on `threads` threads."""
    numpy_trainer, torch_trainer = trainers(architecture, recipe, context.params.train_numpy.shards, threads)
    flops = training_flops_per_sample(architecture.spec(recipe))
    name = model_name(architecture, recipe)
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads, user_api="blas"):
            result = epoch_race(
                context.train, name, numpy_trainer, torch_trainer, recipe.batch_size, recipe.lr, flops, context.rounds
            )
    finally:
        torch.set_num_threads(torch_threads)
    print(
        f"epochs: {name} b{recipe.batch_size}, {threads} thread(s): ratio {result['numpy_over_torch']:.2f}", flush=True
    )
    return {"threads": threads, "architecture": architecture.name} | result


def epoch_race(
    data: dataset.Inputs,
    model: str,
    numpy_trainer: NumpySteps,
    torch_trainer: TorchSteps,
    batch_size: int,
    lr: float,
    flops_per_sample: int,
    rounds: int,
) -> dict:
    """Rounds of: the BLAS peak now, then one NumPy and one torch epoch back to back (same model, batch size, data
    and order), the order alternating between rounds. Each round is judged against its own peak."""
    steps = -(-len(data.y) // batch_size)
    lrs = np.full(steps, lr * 0.1)  # gentle: no divergence on any model
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    flops = flops_per_sample * len(data.y)

    def numpy_epoch(order: np.ndarray) -> float:
        start = time.perf_counter()
        numpy_trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
        return time.perf_counter() - start

    def torch_epoch(order: np.ndarray) -> float:
        start = time.perf_counter()
        torch_trainer.train_epoch(x, y, order, batch_size, lrs)
        return time.perf_counter() - start

    per_round = []
    for round_ in range(rounds + 1):  # the first round warms caches and allocators and is not counted
        order = epoch_order(len(data.y), seed=0, epoch=round_)
        peak = numpy_peak_now()
        if round_ % 2:
            torch_seconds, numpy_seconds = torch_epoch(order), numpy_epoch(order)
        else:
            numpy_seconds, torch_seconds = numpy_epoch(order), torch_epoch(order)
        if round_:
            per_round.append(
                {
                    "first": "torch" if round_ % 2 else "numpy",
                    "peak_gflops": peak,
                    "numpy_seconds": numpy_seconds,
                    "torch_seconds": torch_seconds,
                    "numpy_over_torch": numpy_seconds / torch_seconds,
                    "numpy_share_of_peak": flops / numpy_seconds / 1e9 / peak,
                }
            )
    return summary(model, batch_size, per_round)


def summary(model: str, batch_size: int, per_round: list[dict]) -> dict:
    """A race's medians and ranges over its rounds, each round marked when it ran in a slow stretch."""
    best_peak = max(r["peak_gflops"] for r in per_round)
    for r in per_round:
        r["slow_stretch"] = r["peak_gflops"] < (1 - SLOW_PEAK_FRACTION) * best_peak
    return {
        "model": model,
        "batch_size": batch_size,
        "numpy_epoch_seconds": statistics.median(r["numpy_seconds"] for r in per_round),
        "torch_epoch_seconds": statistics.median(r["torch_seconds"] for r in per_round),
        **median_and_range("numpy_over_torch", [r["numpy_over_torch"] for r in per_round]),
        **median_and_range("numpy_share_of_peak", [r["numpy_share_of_peak"] for r in per_round]),
        "slow_stretch_rounds": sum(r["slow_stretch"] for r in per_round),
        "rounds": per_round,
    }
