"""The machine's limit: float32 GFLOP/s of a large square product, through NumPy's BLAS and through torch."""

from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from benchmarks.common import Context, Row, best_seconds


def run(context: Context, size: int = 2048, repeats: int = 7) -> dict:
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = np.random.default_rng(1).random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    gflop = 2 * size**3 / 1e9
    with threadpool_limits(context.threads, user_api="blas"):
        numpy_peak = gflop / best_seconds(lambda: np.matmul(a, b, out=out), repeats, warm_up=True)
    ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
    torch_peak = gflop / best_seconds(lambda: torch.matmul(ta, tb, out=tout), repeats, warm_up=True)
    return {"matmul_peak": {"numpy_gflops": numpy_peak, "torch_gflops": torch_peak}}


def rows(results: dict) -> list[Row]:
    peak = results["matmul_peak"]
    return [
        ("float32 matmul peak, NumPy BLAS", f"{peak['numpy_gflops']:.0f} GFLOP/s", "the limit"),
        ("float32 matmul peak, torch", f"{peak['torch_gflops']:.0f} GFLOP/s", ""),
    ]
