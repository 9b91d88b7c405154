"""NumPy's networks against PyTorch's, epoch for epoch, and against the machine's peak; and where a NumPy step's
time goes, line by line of the trainer's own code. The MLP at its default size and at a matmul-bound one, and the
CNN at its default."""

from __future__ import annotations

import dataclasses
import linecache
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from benchmarks.common import Context, Row, median_and_range, numpy_peak_now
from benchmarks.profiler import LineTimes
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE
from mnist_numpy_vs_torch.models import cnn, mlp, numpy_nn
from mnist_numpy_vs_torch.models.numpy_optim import SGD, Adam
from mnist_numpy_vs_torch.models.spec import Architecture, Spec
from mnist_numpy_vs_torch.params import MLPParams, Recipe
from mnist_numpy_vs_torch.training import numpy_steps, torch_steps
from mnist_numpy_vs_torch.training.batches import epoch_order
from mnist_numpy_vs_torch.training.numpy_steps import NumpySteps
from mnist_numpy_vs_torch.training.torch_steps import TorchSteps

SLOW_PEAK_FRACTION = 0.15  # a round whose peak is this far below the run's best ran in a slow stretch
TARGETS = {
    "numpy_over_torch_default_model": 0.75,
    "numpy_over_torch_784_800_10_b512": 0.90,
    "numpy_share_of_peak_784_800_10_b512": 0.85,
    "numpy_over_torch_cnn": 1.0,
}


def trainers(architecture: Architecture, recipe: Recipe) -> tuple[NumpySteps, TorchSteps]:
    """Both frameworks' trainers of the architecture's network of seed 0, made as the training stages make them."""
    numpy_trainer = numpy_steps.trainer(numpy_steps.network(architecture, recipe, seed=0), recipe)
    return numpy_trainer, torch_steps.trainer(torch_steps.network(architecture, recipe, seed=0), recipe)


def mlp_recipe(recipe: MLPParams, hidden: list[int], batch_size: int) -> MLPParams:
    return dataclasses.replace(recipe, hidden=tuple(hidden), batch_size=batch_size)


def training_flops_per_sample(spec: Spec) -> int:
    """Each layer with weights: its product forward, again for its weight gradient, and again for its input
    gradient but in the first layer (no gradient for the image). A Linear (in, out) is 2 in out; a Conv2d is
    2 H'W' F C k k on its H' x H' output, the side shrinking by k - 1 per convolution and halving per pool."""
    flops, side, first = 0, IMAGE_SIDE, True
    for name, *args in spec:
        if name == "Linear":
            product = 2 * args[0] * args[1]
        elif name == "Conv2d":
            inputs, outputs, k = args
            side = side - k + 1
            product = 2 * side * side * outputs * inputs * k * k
        else:
            side = side // args[0] if name == "MaxPool2d" else side
            continue
        flops += product * (2 if first else 3)
        first = False
    return flops


def mlp_race(data: dataset.Inputs, recipe: MLPParams, rounds: int) -> dict:
    numpy_trainer, torch_trainer = trainers(mlp.ARCHITECTURE, recipe)
    return epoch_race(
        data,
        f"784-{'-'.join(map(str, recipe.hidden))}-10",
        numpy_trainer,
        torch_trainer,
        recipe.batch_size,
        recipe.lr,
        training_flops_per_sample(mlp.spec(recipe)),
        rounds,
    )


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


TRACED = [  # the trainer's own code, whatever the network
    NumpySteps.train_epoch,
    *(getattr(layer, method) for layer in numpy_nn.LAYERS.values() for method in ("forward", "backward")),
    numpy_nn.Sequential.forward,
    numpy_nn.Sequential.backward,
    numpy_nn.im2col,
    numpy_nn.col2im,
    numpy_nn.pool,
    numpy_nn.pool_backward,
    numpy_nn.first_maxima,
    numpy_nn.CrossEntropyLoss.forward,
    numpy_nn.CrossEntropyLoss.backward,
    numpy_nn.shifted_exp,
    SGD.step,
    Adam.step,
]


def numpy_step_profile(data: dataset.Inputs, model: str, trainer: NumpySteps, batch_size: int, steps: int) -> dict:
    """Where a NumPy training step's time goes, line by line of the trainer's own code (TRACED) in real steps. A
    line that calls np.matmul is a BLAS product; every other line is the rest (element-wise passes, reductions, the
    gather, the windows and Python). The same steps run untraced just before show roughly what the tracing costs."""
    order = epoch_order(len(data.y), seed=0, epoch=0)[: steps * batch_size]
    lrs = np.full(steps, 0.01)
    trainer.train_epoch(data.x, data.y, order, batch_size, lrs)  # warm-up
    start = time.perf_counter()
    trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
    untraced = time.perf_counter() - start
    with LineTimes(TRACED) as times:
        trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
    traced = sum(times.seconds.values())
    lines = [
        {
            "function": code.co_name,
            "line": number,
            "code": linecache.getline(code.co_filename, number).strip(),
            "ms_per_step": seconds / steps * 1e3,
            "share": seconds / traced,
        }
        for (code, number), seconds in sorted(times.seconds.items(), key=lambda item: -item[1])
    ]
    blas = sum(line["ms_per_step"] for line in lines if "np.matmul" in line["code"])
    step = traced / steps * 1e3
    return {
        "model": model,
        "batch_size": batch_size,
        "steps": steps,
        "step_ms": step,
        "untraced_step_ms": untraced / steps * 1e3,
        "blas_products_ms": blas,
        "rest_ms": step - blas,
        # The step's time if the rest took none, and if the rest were split perfectly over two cores, as fractions
        # of today's step: they scale the measured ratio and share into the best any tuning of the rest could give.
        "blas_only_fraction": blas / step,
        "rest_on_two_cores_fraction": (blas + (step - blas) / 2) / step,
        "lines": lines,
    }


def bounds(profile: dict, race: dict) -> dict:
    """The race's median ratio and share, as they would be if a step took only the profile's fractions of today's:
    the ratio shrinks by the fraction and the share grows by its inverse."""
    figures = {}
    for name in ("blas_only", "rest_on_two_cores"):
        fraction = profile[f"{name}_fraction"]
        figures[f"{name}_numpy_over_torch"] = race["numpy_over_torch"] * fraction
        figures[f"{name}_numpy_share_of_peak"] = race["numpy_share_of_peak"] / fraction
    return figures


def run(context: Context) -> dict:
    recipe, cnn_recipe = context.params.mlp, context.params.cnn
    models = [  # the default, and a matmul-bound one
        mlp_recipe(recipe, list(recipe.hidden), recipe.batch_size),
        mlp_recipe(recipe, [800], 512),
    ]
    races, profiles = [], []
    with threadpool_limits(context.threads, user_api="blas"):
        for model in models:
            races.append(mlp_race(context.train, model, context.rounds))
        numpy_trainer, torch_trainer = trainers(cnn.ARCHITECTURE, cnn_recipe)
        shape = cnn.shape_of(cnn_recipe)
        name = f"CNN {'-'.join(map(str, shape.channels))} k{shape.kernel}"
        flops = training_flops_per_sample(cnn.spec(cnn_recipe))
        batch = cnn_recipe.batch_size
        races.append(
            epoch_race(context.train, name, numpy_trainer, torch_trainer, batch, cnn_recipe.lr, flops, context.rounds)
        )
        for race in races:
            print(f"epochs: {race['model']} b{race['batch_size']}: ratio {race['numpy_over_torch']:.2f}", flush=True)
        for model, race in zip(models, races):
            trainer, _ = trainers(mlp.ARCHITECTURE, model)
            steps = 24_000 // model.batch_size
            profile = numpy_step_profile(context.train, race["model"], trainer, model.batch_size, steps)
            profiles.append(profile | bounds(profile, race))
        trainer, _ = trainers(cnn.ARCHITECTURE, cnn_recipe)
        profile = numpy_step_profile(context.train, races[-1]["model"], trainer, batch, steps=8_000 // batch)
        profiles.append(profile | bounds(profile, races[-1]))
    return {"epochs": races, "numpy_step_profile": profiles}


def rows(results: dict) -> list[Row]:
    table = []
    for race in results["epochs"]:
        label = f"{race['model']} batch {race['batch_size']}"
        seconds = f"{race['numpy_epoch_seconds']:.3f} s / {race['torch_epoch_seconds']:.3f} s"
        table.append((f"epoch, {label}: NumPy / torch", seconds, ""))
        default_model, convolutional = race is results["epochs"][0], race["model"].startswith("CNN")
        target = TARGETS[
            "numpy_over_torch_cnn"
            if convolutional
            else "numpy_over_torch_default_model"
            if default_model
            else "numpy_over_torch_784_800_10_b512"
        ]
        low, high = race["numpy_over_torch_range"]
        ratio = f"{race['numpy_over_torch']:.2f} (rounds {low:.2f}-{high:.2f})"
        table.append(("  NumPy/torch, median of per-round ratios", ratio, f"<= {target}"))
        low, high = race["numpy_share_of_peak_range"]
        share = f"{race['numpy_share_of_peak']:.0%} (rounds {low:.0%}-{high:.0%})"
        matmul_bound = not (default_model or convolutional)
        share_target = f">= {TARGETS['numpy_share_of_peak_784_800_10_b512']:.0%}" if matmul_bound else ""
        table.append(("  NumPy share of the same round's peak, median", share, share_target))
        slow = f"{race['slow_stretch_rounds']} of {len(race['rounds'])}"
        table.append((f"  rounds with the peak over {SLOW_PEAK_FRACTION:.0%} below the best", slow, ""))
    for profile in results["numpy_step_profile"]:
        label = f"NumPy step, {profile['model']} batch {profile['batch_size']}, traced line by line"
        untraced = f"{profile['step_ms']:.2f} ms ({profile['untraced_step_ms']:.2f} ms untraced)"
        table.append((label, untraced, ""))
        for part, name in (("blas_products_ms", "lines with a BLAS product"), ("rest_ms", "all other lines")):
            table.append((f"  {name}", f"{profile[part]:.2f} ms ({profile[part] / profile['step_ms']:.0%})", ""))
        for line in profile["lines"][:6]:
            table.append((f"    {line['code'][:60]}", f"{line['ms_per_step']:.2f} ms ({line['share']:.0%})", ""))
        for name in ("blas_only", "rest_on_two_cores"):
            ratio, share = profile[f"{name}_numpy_over_torch"], profile[f"{name}_numpy_share_of_peak"]
            what = "if all other lines took no time" if name == "blas_only" else "if they ran perfectly on two cores"
            table.append((f"  {what}", f"{ratio:.2f}x torch, {share:.0%} of peak", ""))
    return table
