"""What a run was done with: library versions, BLAS, and the processor or GPU, recorded next to the models."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def numpy_environment(threads: int) -> dict[str, str | int]:
    blas = [f"{p['internal_api']} {p['version']}" for p in threadpool_info() if p.get("user_api") == "blas"]
    return {
        "framework": f"numpy {np.__version__}",
        "blas": ", ".join(blas) or "unknown",
        "device": f"CPU: {cpu_name()}",
        "threads": threads,
    }


def torch_environment(device: str, threads: int) -> dict[str, str | int]:
    import torch

    on_gpu = device.startswith("cuda")
    return {
        "framework": f"torch {torch.__version__}",
        "blas": "cuBLAS" if on_gpu else ("MKL" if torch.backends.mkl.is_available() else "unknown"),
        "device": f"GPU: {torch.cuda.get_device_name()}" if on_gpu else f"CPU: {cpu_name()}",
        "threads": threads,
    }
