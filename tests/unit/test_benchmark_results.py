"""benchmarks/results.json keeps one entry per machine: a run writes its own machine's and leaves the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import machine_label
from mnist_numpy_vs_torch import machine
from tests.project import ROOT

# Another machine's entry: a label no processor gives (family 0), so that it is another machine wherever this runs
OTHER = "Some CPU, family 0 model 0: OpenBLAS Haswell, torch AVX2, 2 threads"


def benchmark(out: Path, raw_dir: Path, prepared_dir: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.run", "--only", "parse", "--out", str(out)]
    command += ["--raw-dir", str(raw_dir), "--prepared-dir", str(prepared_dir)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.read_text())["machines"]


def test_a_run_adds_or_replaces_its_own_machines_entry_and_keeps_the_others(
    tmp_path: Path, raw_dir: Path, prepared_dir: Path
) -> None:
    other = {"date": "2026-12-02", "epochs": [{"model": "CNN 16-32 k5", "numpy_over_torch": 1.33}]}
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"machines": {OTHER: other}}))
    first = benchmark(out, raw_dir, prepared_dir)
    assert first[OTHER] == other and len(first) == 2
    ((label, entry),) = ((label, entry) for label, entry in first.items() if label != OTHER)
    identity = machine.cpu_identity()
    assert f"family {identity['cpu_family']} model {identity['cpu_model']}" in label
    assert entry["fingerprint"]["cpu_model"] == identity["cpu_model"] and "parse" in entry["measured_on"]
    again = benchmark(out, raw_dir, prepared_dir)
    assert set(again) == {OTHER, label} and again[OTHER] == other, "replaced, not added"


def test_the_label_tells_generations_and_imitations_apart() -> None:
    fingerprint = {"cpu_family": "25", "cpu_model": "17", "blas_core": "SkylakeX, SkylakeX", "blas_threads": "2, 2"}
    fingerprint |= {"torch_cpu_capability": "AVX512"}
    label = machine_label("AMD EPYC", fingerprint)
    assert label == "AMD EPYC, family 25 model 17: OpenBLAS SkylakeX, torch AVX512, 2 threads"
    assert machine_label("AMD EPYC", fingerprint | {"cpu_model": "1"}) != label
    imitating = machine_label("AMD EPYC", fingerprint | {"env_OPENBLAS_CORETYPE": "Haswell"})
    assert imitating.endswith(", imitating a narrower processor (OPENBLAS_CORETYPE=Haswell)")
