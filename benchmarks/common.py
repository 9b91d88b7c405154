"""What several measurements share: timing, the BLAS peak right now, the environment of a fresh clone."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.params import Params

ROOT = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str]  # measurement, value, target


@dataclass
class Context:
    """What a measurement may read: the parameters, the pipeline's data, the mirror for fresh clones."""

    params: Params
    prepared_dir: Path
    raw_dir: Path
    mirror: str
    rounds: int
    threads: int

    @cached_property
    def train(self) -> dataset.Inputs:
        return dataset.load_inputs(self.prepared_dir, "train")


def best_seconds(run: Callable[[], object], repeats: int, warm_up: bool = False) -> float:
    """The fastest of `repeats` timed calls of `run` (after one untimed call, with warm_up)."""
    if warm_up:
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_peak_now(size: int = 1536, repeats: int = 3) -> float:
    """The BLAS's float32 GFLOP/s right now (best of a few products, a fraction of a second): the limit a round's
    epochs are held against, measured in the same stretch of the machine's speed as they are."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = np.random.default_rng(1).random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    return 2 * size**3 / 1e9 / best_seconds(lambda: np.matmul(a, b, out=out), repeats, warm_up=True)


def median_and_range(name: str, values: list[float]) -> dict:
    return {name: statistics.median(values), f"{name}_range": [min(values), max(values)]}


def clone_environment(mirror: str) -> dict[str, str]:
    """A user's shell for `dvc repro` in a fresh clone: this environment first on PATH, MNIST from `mirror`."""
    return os.environ | {
        "MNIST_MIRROR": mirror,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
