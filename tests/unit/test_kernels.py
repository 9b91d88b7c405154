"""The float32 parity checks hold whichever kernels the libraries dispatch to: each library's choice narrowed before
it loads, so that one machine imitates an older generation (OpenBLAS's core type, torch's CPU capability, NumPy's
SIMD targets), and the checks run again in a subprocess under each imitation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.project import ROOT

# Older generations, newest first: the environment that makes each library choose as it would there.
IMITATIONS = {
    "AVX2 (Haswell)": {
        "OPENBLAS_CORETYPE": "Haswell",
        "ATEN_CPU_CAPABILITY": "avx2",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    },
    "AVX (Sandy Bridge)": {
        "OPENBLAS_CORETYPE": "Sandybridge",
        "ATEN_CPU_CAPABILITY": "default",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    },
    "SSE4 (Nehalem)": {
        "OPENBLAS_CORETYPE": "Nehalem",
        "ATEN_CPU_CAPABILITY": "default",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    },
}
KERNELS = (
    "import json, torch, threadpoolctl; from mnist_numpy_vs_torch import machine; "
    "blas = [i.get('architecture') for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']; "
    "print(json.dumps({'blas': blas[0] if blas else None, 'torch': torch.backends.cpu.get_cpu_capability(), "
    "'numpy': machine.numpy_simd()}))"
)


def printed(code: str, environment: dict[str, str]) -> object:
    """The JSON that `code` prints in a fresh interpreter with `environment` added."""
    found = subprocess.run([sys.executable, "-c", code], env=os.environ | environment, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    return json.loads(found.stdout)


def kernels(environment: dict[str, str]) -> dict[str, str]:
    """What each library dispatches to in a fresh interpreter with `environment` added."""
    return printed(KERNELS, environment)


@pytest.fixture(scope="module")
def native() -> dict[str, str]:
    return kernels({})


@pytest.fixture(scope="module")
def others(native: dict[str, str]) -> list[str]:
    """The two newest imitations whose torch capability differs from this machine's (and so its BLAS kernels)."""
    return [name for name, environment in IMITATIONS.items() if kernels(environment)["torch"] != native["torch"]][:2]


RANKS = pytest.mark.parametrize("rank", [0, 1], ids=["the newest other generation", "the next"])


@pytest.mark.slow
def test_there_are_two_other_kernel_choices_to_imitate(native: dict[str, str], others: list[str]) -> None:
    assert len(others) == 2, f"this machine ({native}) imitates only {others}"
    for name in others:
        chosen = kernels(IMITATIONS[name])
        assert chosen != native and chosen["blas"] == IMITATIONS[name]["OPENBLAS_CORETYPE"], (name, chosen)


@pytest.mark.slow
@RANKS
def test_the_float32_parity_checks_pass_under_another_generations_kernels(others: list[str], rank: int) -> None:
    imitation = others[rank]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_parity.py", "-k"]
    environment = os.environ | IMITATIONS[imitation]
    result = subprocess.run(
        [*command, "float32"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{imitation}: {kernels(IMITATIONS[imitation])}\n{result.stdout[-3000:]}"
    assert " passed" in result.stdout and " failed" not in result.stdout


FINGERPRINTS = (
    "import json; from mnist_numpy_vs_torch import machine; "
    "print(json.dumps([machine.numpy_environment(1)['fingerprint'], "
    "machine.torch_environment('cpu', 1)['fingerprint']]))"
)


@pytest.mark.slow
@RANKS
def test_a_run_under_an_imitation_has_another_fingerprint(others: list[str], rank: int) -> None:
    """runs.json's fingerprints (the code that writes them) name the kernels chosen, so the reproduction gate judges
    a run under an imitation as another machine's: by the seeds' spread, not bit for bit."""
    native, imitated = printed(FINGERPRINTS, {}), printed(FINGERPRINTS, IMITATIONS[others[rank]])
    assert native[0] != imitated[0] and native[1] != imitated[1]
