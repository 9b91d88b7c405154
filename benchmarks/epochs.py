"""NumPy's networks against PyTorch's, epoch for epoch, and against the machine's peak; and where a NumPy step's
time goes, line by line of the trainer's own code. The MLP at its default size and at a matmul-bound one, and the
CNN at its default: each with the stage's threads, and the default MLP and the CNN again with one thread for each
framework (NumPy's BLAS and torch alike), since PyTorch spreads its element-wise work over the cores by itself and
NumPy only through the shards the trainer runs side by side."""

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
    "numpy_over_torch_cnn_avx512": 1.5,  # where torch runs AVX-512 kernels (oneDNN's convolutions gained 2x there)
}


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


def model_name(architecture: Architecture, recipe: Recipe) -> str:
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
    return {"threads": threads} | result


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
    numpy_nn.DataParallel.forward,
    numpy_nn.DataParallel.backward,
    numpy_nn.im2col,
    numpy_nn.im2col_columns,
    numpy_nn.Conv2d.windows,
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


def numpy_step_profile(
    data: dataset.Inputs, model: str, trainer: NumpySteps, batch_size: int, steps: int, blas_cores: int
) -> dict:
    """Where a NumPy training step's time goes, line by line of the trainer's own code (TRACED) in real steps, with
    the BLAS on `blas_cores` threads. A line that calls np.matmul is a BLAS product; every other line is the rest
    (element-wise passes, reductions, the gather, the windows and Python). The same steps run untraced just before
    show roughly what the tracing costs. Only this thread is traced: profile a sharded trainer with one thread."""
    order = epoch_order(len(data.y), seed=0, epoch=0)[: steps * batch_size]
    lrs = np.full(steps, 0.01)
    with threadpool_limits(blas_cores, user_api="blas"):
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
        "blas_cores": blas_cores,
        "step_ms": step,
        "untraced_step_ms": untraced / steps * 1e3,
        "blas_products_ms": blas,
        "rest_ms": step - blas,
        "lines": lines,
    }


def blas_bound(profile: dict, race: dict, num_samples: int) -> float:
    """The race's NumPy/torch ratio if every line but the BLAS products took no time: the profile's BLAS time of an
    epoch, in core-seconds, spread perfectly over the race's threads, over torch's epoch. The distance from the
    race's ratio to this one is what any tuning of the rest could gain; below it only faster products help."""
    steps = -(-num_samples // race["batch_size"])
    blas_seconds = profile["blas_products_ms"] / 1e3 * steps * profile["blas_cores"] / race["threads"]
    return blas_seconds / race["torch_epoch_seconds"]


def run(context: Context) -> dict:
    recipe, cnn_recipe, threads = context.params.mlp, context.params.cnn, context.threads
    mlps = [  # the default, and a matmul-bound one
        mlp_recipe(recipe, list(recipe.hidden), recipe.batch_size),
        mlp_recipe(recipe, [800], 512),
    ]
    races = [race(context, mlp.ARCHITECTURE, model, threads) for model in mlps]
    races.append(race(context, cnn.ARCHITECTURE, cnn_recipe, threads))
    if threads > 1:
        races += [race(context, mlp.ARCHITECTURE, mlps[0], 1), race(context, cnn.ARCHITECTURE, cnn_recipe, 1)]
    profiles = []
    for model in mlps:  # the BLAS on the stage's threads, as the MLP trains
        trainer, _ = trainers(mlp.ARCHITECTURE, model)
        name = model_name(mlp.ARCHITECTURE, model)
        profiles.append(
            numpy_step_profile(context.train, name, trainer, model.batch_size, 24_000 // model.batch_size, threads)
        )
    # the CNN's shards in turn on this thread, the BLAS on one: every line of every shard is traced
    trainer, _ = trainers(cnn.ARCHITECTURE, cnn_recipe, context.params.train_numpy.shards, threads=1)
    batch = cnn_recipe.batch_size
    profiles.append(
        numpy_step_profile(context.train, model_name(cnn.ARCHITECTURE, cnn_recipe), trainer, batch, 8_000 // batch, 1)
    )
    for each in races:
        profile = next(p for p in profiles if (p["model"], p["batch_size"]) == (each["model"], each["batch_size"]))
        each["blas_only_numpy_over_torch"] = blas_bound(profile, each, len(context.train))
    return {"epochs": races, "numpy_step_profile": profiles}


def rows(results: dict) -> list[Row]:
    table = []
    for each in results["epochs"]:
        threads = each.get("threads", 2)
        label = f"{each['model']} batch {each['batch_size']}, {threads} thread{'s' if threads > 1 else ''} each"
        seconds = f"{each['numpy_epoch_seconds']:.3f} s / {each['torch_epoch_seconds']:.3f} s"
        table.append((f"epoch, {label}: NumPy / torch", seconds, ""))
        target = target_of(each, results["epochs"][0], results.get("fingerprint", {}))
        low, high = each["numpy_over_torch_range"]
        ratio = f"{each['numpy_over_torch']:.2f} (rounds {low:.2f}-{high:.2f})"
        table.append(("  NumPy/torch, median of per-round ratios", ratio, f"<= {target}" if target else ""))
        if "blas_only_numpy_over_torch" in each:
            bound = f"{each['blas_only_numpy_over_torch']:.2f}"
            table.append(("  NumPy/torch if all but the BLAS products took no time", bound, ""))
        low, high = each["numpy_share_of_peak_range"]
        share = f"{each['numpy_share_of_peak']:.0%} (rounds {low:.0%}-{high:.0%})"
        matmul_bound = each["model"] == "784-800-10"
        share_target = f">= {TARGETS['numpy_share_of_peak_784_800_10_b512']:.0%}" if matmul_bound else ""
        table.append(("  NumPy share of the same round's peak, median", share, share_target))
        slow = f"{each['slow_stretch_rounds']} of {len(each['rounds'])}"
        table.append((f"  rounds with the peak over {SLOW_PEAK_FRACTION:.0%} below the best", slow, ""))
    for profile in results["numpy_step_profile"]:
        cores = profile.get("blas_cores")
        on = f", BLAS on {cores} thread{'s' if cores > 1 else ''}" if cores else ""
        label = f"NumPy step, {profile['model']} batch {profile['batch_size']}{on}, traced line by line"
        untraced = f"{profile['step_ms']:.2f} ms ({profile['untraced_step_ms']:.2f} ms untraced)"
        table.append((label, untraced, ""))
        for part, name in (("blas_products_ms", "lines with a BLAS product"), ("rest_ms", "all other lines")):
            table.append((f"  {name}", f"{profile[part]:.2f} ms ({profile[part] / profile['step_ms']:.0%})", ""))
        for line in profile["lines"][:6]:
            table.append((f"    {line['code'][:60]}", f"{line['ms_per_step']:.2f} ms ({line['share']:.0%})", ""))
    return table


def target_of(each: dict, first: dict, fingerprint: dict) -> float | None:
    """The ratio target of a race at the stage's threads (none for the one-thread races: they show the gap). The
    CNN's depends on the processor generation: torch's AVX-512 convolutions are twice its AVX2 ones."""
    if each.get("threads", 2) == 1:
        return None
    if each["model"].startswith("CNN"):
        avx512 = fingerprint.get("torch_cpu_capability") == "AVX512"
        return TARGETS["numpy_over_torch_cnn_avx512" if avx512 else "numpy_over_torch_cnn"]
    return TARGETS["numpy_over_torch_default_model" if each is first else "numpy_over_torch_784_800_10_b512"]
