"""What a run is done with: library versions, BLAS, the processor or GPU, recorded next to the models; and how
many threads a trainer may use on this machine."""

from __future__ import annotations

import logging
import os
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
