"""What a run is done with, recorded next to the models: library versions, BLAS, the processor or GPU, and the
fingerprint of what decides the bits of a float32 result; and how many threads a trainer may use on this machine.

Two runs of the same code with the same fingerprint give bit-identical results. The fingerprint is finer than a
processor's name: machines sold under one name ("AMD EPYC") differ in generation (family, model, stepping), and
MKL, OpenBLAS and NumPy pick their kernels by the instructions the processor has, so each library's own choice is
recorded (PyTorch's CPU capability, NumPy's enabled SIMD targets, OpenBLAS's core type), with thread counts,
versions, the environment variables that override those choices, and the GPU with its CUDA and cuDNN versions.
"""

from __future__ import annotations

import logging
import os
import platform
import re
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

# Variables that change which kernels the libraries run, and so the bits.
KERNEL_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
)


def _cpuinfo(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        text = cpuinfo.read_text()
    except OSError:
        return fields
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_name() -> str:
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_identity(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """Vendor, family, model and stepping: the processor's generation, where its name may not tell (on Linux from
    /proc/cpuinfo; elsewhere the nearest the platform offers)."""
    fields = _cpuinfo(cpuinfo)
    if not fields:
        return {"cpu_vendor": platform.machine(), "cpu_family": platform.processor() or "unknown"}
    return {
        "cpu_vendor": fields.get("vendor_id", fields.get("CPU implementer", "unknown")),
        "cpu_family": fields.get("cpu family", fields.get("CPU architecture", "unknown")),
        "cpu_model": fields.get("model", fields.get("CPU part", "unknown")),
        "cpu_stepping": fields.get("stepping", fields.get("CPU revision", "unknown")),
    }


def kernel_variables() -> dict[str, str]:
    return {f"env_{name}": os.environ[name] for name in KERNEL_VARIABLES if name in os.environ}


log = logging.getLogger(__name__)


def available_cores() -> int:
    """The cores this process may run on (its affinity, which a container or `taskset` may narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def queue_workers(proc: Path = Path("/proc")) -> int:
    """How many DVC experiment-queue workers run on this machine (`dvc queue start -j N` starts N), 0 if none.

    Each worker is a process `... dvc exp queue-worker dvc-exp-<repo>-<n>@localhost`; distinct names are counted,
    so a worker's child processes do not count twice. Every worker shares the same cores, whichever repository it
    serves. Without /proc (not Linux) there is nothing to count.
    """
    names = set()
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"queue-worker" in argv:
            at = argv.index(b"queue-worker")
            if at > 0 and argv[at - 1] == b"exp" and at + 1 < len(argv):
                names.add(argv[at + 1])
    return len(names)


def threads_for(setting: int | str) -> int:
    """A trainer's threads: the number in params.yaml, or for "auto" this machine's cores shared evenly among the
    DVC queue workers running on it, so that `dvc queue start -j N` does not run N x cores threads."""
    if setting != "auto":
        return int(setting)
    cores, workers = available_cores(), queue_workers()
    threads = max(1, cores // max(1, workers))
    log.info("threads: auto -> %d (%d cores, %d DVC queue workers)", threads, cores, workers)
    return threads


def numpy_simd() -> str:
    """The SIMD targets NumPy runs on this processor: its compiled-in baseline and the dispatch targets the processor
    supports."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # another NumPy layout: say so rather than guess
        return "unknown"
    return " ".join([*__cpu_baseline__, *(d for d in __cpu_dispatch__ if __cpu_features__.get(d))])


def numpy_environment(threads: int) -> dict:
    """Call with the BLAS limited as the run limits it: its thread count is read back from the library."""
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return {
        "framework": f"numpy {np.__version__}",
        "blas": ", ".join(f"{p['internal_api']} {p['version']}" for p in blas) or "unknown",
        "device": f"CPU: {cpu_name()}",
        "threads": threads,
        "fingerprint": {
            **cpu_identity(),
            "numpy": np.__version__,
            "numpy_simd": numpy_simd(),
            "blas": ", ".join(f"{p['internal_api']} {p['version']}" for p in blas) or "unknown",
            "blas_core": ", ".join(str(p.get("architecture")) for p in blas) or "unknown",
            "blas_threads": ", ".join(str(p["num_threads"]) for p in blas) or "unknown",
            **kernel_variables(),
        },
    }


def torch_environment(device: str, threads: int) -> dict:
    import torch

    on_gpu = device.startswith("cuda")
    mkl = re.search(r"Math Kernel Library Version ([\w.-]+)", torch.__config__.show())
    fingerprint = {
        **cpu_identity(),
        "torch": torch.__version__,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": str(torch.get_num_threads()),
        "mkl": mkl.group(1) if mkl else "none",
        "device": device,
        **kernel_variables(),
    }
    if on_gpu:
        major, minor = torch.cuda.get_device_capability()
        fingerprint |= {
            "gpu": torch.cuda.get_device_name(),
            "gpu_capability": f"{major}.{minor}",
            "cuda": str(torch.version.cuda),
            "cudnn": str(torch.backends.cudnn.version()),
        }
    return {
        "framework": f"torch {torch.__version__}",
        "blas": "cuBLAS" if on_gpu else ("MKL" if torch.backends.mkl.is_available() else "unknown"),
        "device": f"GPU: {torch.cuda.get_device_name()}" if on_gpu else f"CPU: {cpu_name()}",
        "threads": threads,
        "fingerprint": fingerprint,
    }
