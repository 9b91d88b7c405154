"""The project under test, as the tests see it: its root, its params, its stages as DVC resolves them, where the
real MNIST files are, and how a test runs a stage or `mnist-predict` as a user would."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from mnist_numpy_vs_torch.data.download import RetryPolicy
from mnist_numpy_vs_torch.data.mnist import SHA256 as MNIST_SHA256
from mnist_numpy_vs_torch.params import Params, load_params, recipes
from tests.imports import pipeline_stages

ROOT = Path(__file__).resolve().parents[1]
FAST_POLICY = RetryPolicy(timeout_seconds=5.0, retries=1, backoff_seconds=0.0)
PARAMS: Params = load_params(ROOT / "params.yaml")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots the browser tests leave for a person to look at
STAGES = pipeline_stages(ROOT)  # dvc.yaml's stages as DVC resolves them: train_numpy@mlp, ...
ALL_STAGES = set(STAGES)


TRAINERS = {  # each architecture's training stages, train_<framework>@<arch>
    arch: [name for name in STAGES if name.startswith("train_") and name.endswith(f"@{arch}")]
    for arch in recipes(PARAMS)
}
TRAINING_STAGES = {name for names in TRAINERS.values() for name in names}


def mnist_sources(environ: dict[str, str] | None = None) -> list[Path]:
    """Where the tests look for the four MNIST files, in order."""
    environ = os.environ if environ is None else environ
    override = [Path(environ["MNIST_SHARED_DIR"])] if environ.get("MNIST_SHARED_DIR") else []
    return [*override, ROOT.parent / "shared" / "mnist", ROOT / "data" / "raw"]


def verified_mnist(sources: list[Path]) -> dict[str, bytes]:
    """The four files from the first source that holds all of them with the right checksums."""
    for source in sources:
        files = {name: (source / name).read_bytes() for name in MNIST_SHA256 if (source / name).is_file()}
        if len(files) == len(MNIST_SHA256) and all(
            hashlib.sha256(data).hexdigest() == MNIST_SHA256[name] for name, data in files.items()
        ):
            return files
    raise FileNotFoundError(
        f"no verified MNIST files in {', '.join(map(str, sources))}: run `dvc repro` first (or set MNIST_SHARED_DIR)"
    )


def stage_command(stage: str, *args: str) -> list[str]:
    """The command that runs a stage script from any directory, as dvc.yaml's `python -m stages.X` does here."""
    return [sys.executable, str(ROOT / "stages" / f"{stage}.py"), *args]


def run_stage(directory: Path, stage: str) -> subprocess.CompletedProcess:
    """Run `stage`'s command from dvc.yaml in `directory`, as `dvc repro` would there (without DVC's bookkeeping)."""
    command = shlex.split(STAGES[stage].cmd)
    command = [sys.executable if word == "python" else word for word in command]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=600)


def write_params(directory: Path, text: str | None = None) -> None:
    """A params.yaml (the committed one unless `text` is given) with the dvc.yaml that says which stage reads
    which keys, as a stage run in `directory` needs them."""
    (directory / "params.yaml").write_text((ROOT / "params.yaml").read_text() if text is None else text)
    (directory / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())


# What a checkout holds beside the repository and the pipeline's outputs (the environment, the tools' leftovers):
# the root .gitignore's entries. DVC ignores its outputs in .gitignore files of their own folders.
NOT_THE_PROJECT = tuple(
    line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if line.strip()
)


def run_cache_size(root: Path) -> int:
    """How many runs DVC's run-cache in `root` remembers."""
    return len(list((root / ".dvc" / "cache" / "runs").glob("*/*/*")))


def checkout_is_reproduced(root: Path, env: dict[str, str]) -> bool:
    """Whether `root` is a checkout whose one `dvc repro` is complete and current: what a newcomer has after the
    README's first command. Its run-cache holds one run per stage at most (the tests of the remote's run-cache
    count on that), and `dvc status` is clean."""
    if os.environ.get("TESTS_REPRODUCE_AFRESH") or not (root / "models").is_dir():
        return False
    if run_cache_size(root) > len(ALL_STAGES):
        return False
    status = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "-q"], cwd=root, env=env, capture_output=True, timeout=120
    )
    return status.returncode == 0


SMALL = ROOT / "tests" / "small.yaml"


def small_params(params_yaml: str) -> str:
    """params.yaml with tests/small.yaml merged over it, key by key."""
    params = yaml.safe_load(params_yaml)
    for section, values in yaml.safe_load(SMALL.read_text()).items():
        params[section].update(values)
    return yaml.safe_dump(params, sort_keys=False, default_flow_style=None)


def predict(workspace: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`mnist-predict ARGS` run in `workspace`, as a user runs it, with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "mnist_numpy_vs_torch.recognition.predict", *args],
        cwd=workspace,
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=600,
    )


def changed(dotted: str, value: object) -> dict:
    """The committed params.yaml, as a dict, with the key `dotted` (for example "mlp.lr") set to `value`."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    *sections, key = dotted.split(".")
    node = params
    for section in sections:
        node = node[section]
    node[key] = value
    return params
