"""The whole pipeline as a newcomer runs it: `dvc repro` in a fresh clone, then a no-op `dvc repro`; wall seconds,
and each stage's peak resident memory."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, Context, Row, clone_environment
from benchmarks.memory import PeakMemory

TARGETS = {"pipeline_seconds": 300.0, "noop_repro_seconds": 3.0, "stage_peak_rss_mib": 1024.0}


def run(context: Context) -> dict:
    """`dvc repro` in a fresh clone of HEAD, then a no-op `dvc repro`: wall seconds, and each stage's peak RSS."""
    env = clone_environment(context.mirror)
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        dvc = [sys.executable, "-m", "dvc", "repro"]
        start = time.perf_counter()
        process = subprocess.Popen(dvc, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        memory = PeakMemory(process.pid)
        memory.start()
        _, stderr = process.communicate()
        pipeline_seconds = time.perf_counter() - start
        memory.done.set()
        if process.returncode:
            raise SystemExit(f"dvc repro failed in the fresh clone:\n{stderr.decode()}")
        start = time.perf_counter()
        subprocess.run(dvc, cwd=clone, env=env, check=True, capture_output=True)
        noop_seconds = time.perf_counter() - start
    return {
        "pipeline": {
            "pipeline_seconds": pipeline_seconds,
            "noop_repro_seconds": noop_seconds,
            "stage_peak_rss_mib": {stage: kib / 1024 for stage, kib in memory.peaks.items()},
        }
    }


def rows(results: dict) -> list[Row]:
    pipe = results["pipeline"]
    table = [
        ("whole dvc repro, fresh clone", f"{pipe['pipeline_seconds']:.1f} s", f"<= {TARGETS['pipeline_seconds']:g} s"),
        ("no-op dvc repro", f"{pipe['noop_repro_seconds']:.2f} s", f"<= {TARGETS['noop_repro_seconds']:g} s"),
    ]
    limit = f"<= {TARGETS['stage_peak_rss_mib']:g} MiB"
    table += [(f"peak RSS, {stage}", f"{mib:.0f} MiB", limit) for stage, mib in pipe["stage_peak_rss_mib"].items()]
    return table
