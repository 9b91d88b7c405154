"""A queued sweep of DVC experiments with one worker and with two, on one machine."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, Context, Row, clone_environment

SWEEP_GRIDS = {1: "0.05,0.07,0.15,0.2", 2: "0.06,0.08,0.16,0.25"}  # same cost, distinct: no run-cache hits
SWEEP_SETTINGS = ["-S", "mlp.epochs=2", "-S", "mlp.seeds=1", "-S", "cnn.seeds=1"]


def run(context: Context) -> dict:
    """Wall seconds of a 4-point `mlp.lr` sweep (2 epochs, 1 seed each) run by `dvc queue start -j 1` and by
    `-j 2`, in one fresh clone after `dvc repro`, one right after the other; `threads: auto` divides the cores."""
    env = clone_environment(context.mirror)
    dvc = [sys.executable, "-m", "dvc"]
    results: dict = {"date": time.strftime("%Y-%m-%d"), "experiments": 4, "settings": " ".join(SWEEP_SETTINGS)}
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run([*dvc, "repro"], cwd=clone, env=env, check=True, capture_output=True)
        for jobs, grid in SWEEP_GRIDS.items():
            queue = [*dvc, "exp", "run", "--queue", "-S", f"mlp.lr={grid}", *SWEEP_SETTINGS]
            subprocess.run(queue, cwd=clone, env=env, check=True, capture_output=True)
            start = time.perf_counter()
            subprocess.run([*dvc, "queue", "start", "-j", str(jobs)], cwd=clone, env=env, check=True)
            while True:
                status = subprocess.run([*dvc, "queue", "status"], cwd=clone, env=env, capture_output=True, text=True)
                if not re.search(r"\b(Queued|Running)\b", status.stdout):
                    break
                time.sleep(0.5)
            results[f"jobs_{jobs}_seconds"] = time.perf_counter() - start
            if status.stdout.count("Success") != 4 * len([j for j in SWEEP_GRIDS if j <= jobs]):
                raise SystemExit(f"the -j {jobs} sweep did not succeed:\n{status.stdout}")
            print(f"sweep -j {jobs}: {results[f'jobs_{jobs}_seconds']:.1f} s", flush=True)
    results["j1_over_j2"] = results["jobs_1_seconds"] / results["jobs_2_seconds"]
    return {"sweep": results}


def rows(results: dict) -> list[Row]:
    sweep = results["sweep"]
    value = (
        f"-j 1 {sweep['jobs_1_seconds']:.0f} s, -j 2 {sweep['jobs_2_seconds']:.0f} s, "
        f"speed-up {sweep['j1_over_j2']:.2f}x"
    )
    return [(f"queued sweep, {sweep['experiments']} points ({sweep['date']})", value, "")]
