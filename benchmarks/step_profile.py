"""Where a NumPy training step's time goes, line by line of the trainer's own code (benchmarks/profiler.py traces
it), and what that says of a race: how close NumPy could come to torch if only its BLAS products took time."""

from __future__ import annotations

import linecache
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.profiler import LineTimes
from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import numpy_nn
from mnist_numpy_vs_torch.models.numpy_optim import SGD, Adam
from mnist_numpy_vs_torch.nn import conv, pooling
from mnist_numpy_vs_torch.nn.loss import shifted_exp
from mnist_numpy_vs_torch.nn.parallel import DataParallel
from mnist_numpy_vs_torch.training.batches import epoch_order
from mnist_numpy_vs_torch.training.numpy_steps import NumpySteps

TRACED = [  # the trainer's own code, whatever the network
    NumpySteps.train_epoch,
    *(getattr(layer, method) for layer in numpy_nn.LAYERS.values() for method in ("forward", "backward")),
    nn.Sequential.forward,
    nn.Sequential.backward,
    DataParallel.forward,
    DataParallel.backward,
    conv.im2col,
    conv.im2col_columns,
    nn.Conv2d.windows,
    conv.col2im,
    pooling.max_pool,
    pooling.max_pool_backward,
    pooling.first_maxima,
    nn.CrossEntropyLoss.forward,
    nn.CrossEntropyLoss.backward,
    shifted_exp,
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
