"""Shared fixtures: the real MNIST files, served over loopback HTTP, and the parsed splits.

MNIST comes from $MNIST_SHARED_DIR when set, else ../shared/mnist beside the checkout, else the download stage's
data/raw; every file is checked against its published SHA-256. With none of them, the tests that need MNIST fail
with one line saying what to do: they never skip.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.data.download import RetryPolicy, fetch_all
from mnist_numpy_vs_torch.data.mnist import SHA256 as MNIST_SHA256
from mnist_numpy_vs_torch.params import Params, load_params, recipes
from tests.clones import GIT_IDENTITY, Clone, fresh_clone, stages_in
from tests.imports import pipeline_stages
from tests.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
FAST_POLICY = RetryPolicy(timeout_seconds=5.0, retries=1, backoff_seconds=0.0)
PARAMS: Params = load_params(ROOT / "params.yaml")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots the browser tests leave for a person to look at
STAGES = pipeline_stages(ROOT)  # dvc.yaml's stages as DVC resolves them: train@mlp-numpy, ...
TRAINERS = {  # each architecture's training stages
    arch: [name for name in STAGES if name.startswith(f"train@{arch}-")] for arch in recipes(PARAMS)
}


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


@pytest.fixture(scope="session")
def mnist_files() -> dict[str, bytes]:
    try:
        return verified_mnist(mnist_sources())
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory, mnist_files: dict[str, bytes]) -> Path:
    """data/raw as the download stage makes it: fetched over loopback HTTP through the real requests path."""
    destination = tmp_path_factory.mktemp("raw")
    with LoopbackServer(mnist_files, {"mnist": "ok"}) as server:
        fetch_all(destination, [server.url("mnist")], FAST_POLICY)
    return destination


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """data/prepared as the parse stage makes it (validation split of 5,000, seed 0)."""
    destination = tmp_path_factory.mktemp("prepared")
    splits = dataset.prepare(raw_dir, val_size=5000, seed=0)
    dataset.save(destination, splits, dataset.facts(splits))
    return destination


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their sources explicitly, so a developer's $MNIST_MIRROR must not leak in. The environment
    running the tests comes first on PATH, as an activated venv would: dvc stages run `python` from PATH."""
    monkeypatch.delenv("MNIST_MIRROR", raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def write_params(directory: Path, text: str | None = None) -> None:
    """A params.yaml (the committed one unless `text` is given) with the dvc.yaml that says which stage reads
    which keys, as a stage run in `directory` needs them."""
    (directory / "params.yaml").write_text((ROOT / "params.yaml").read_text() if text is None else text)
    (directory / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())


ALL_STAGES = set(STAGES)


@pytest.fixture(scope="session")
def clone_environment(mnist_files: dict[str, bytes]) -> Iterator[dict[str, str]]:
    """What a user's shell has: the venv first on PATH, and MNIST_MIRROR at a loopback mirror of the real files."""
    with LoopbackServer(mnist_files, {"mnist": "ok"}, max_requests=1000) as server:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        yield os.environ | GIT_IDENTITY | {"MNIST_MIRROR": server.url("mnist"), "PATH": path}


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


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory, clone_environment: dict[str, str]) -> Clone:
    """A fresh clone of the committed repository after `dvc repro`: what a newcomer has after the README's first
    command. Shared by the session; a test that changes anything works on `reproduced.copy(...)`.

    When the checkout the tests run in is itself such a clone (the README's first command was run in it, or CI's
    .ci/run, whose `dvc repro` output $CI_REPRODUCED_LOG names), the tests take a copy of it, outputs and DVC cache
    included, rather than train every seed a second time. Otherwise (a developer's checkout with other runs in its
    run-cache, or TESTS_REPRODUCE_AFRESH set), they clone and reproduce, about 6 minutes more."""
    destination = tmp_path_factory.mktemp("clone") / "repo"
    log = os.environ.get("CI_REPRODUCED_LOG")
    if log:
        ran = stages_in(Path(log).read_text())
        assert ran == ALL_STAGES, f"{log}: the checkout's dvc repro ran {sorted(ran)}, not every stage"
        runs = run_cache_size(ROOT)
        assert runs <= len(ALL_STAGES), (
            f"CI_REPRODUCED_LOG is for a fresh clone that ran dvc repro once, as .ci/run does; {ROOT} holds "
            f"{runs} runs in its run-cache: unset it"
        )
    elif not checkout_is_reproduced(ROOT, clone_environment):
        clone = fresh_clone(ROOT, destination, clone_environment)
        assert clone.stages_run() == ALL_STAGES
        return clone
    clone = Clone(ROOT, clone_environment).copy(destination, leave_out=NOT_THE_PROJECT)
    assert clone.is_up_to_date(), "the checkout is not up to date after its dvc repro"
    return clone


SMALL = ROOT / "tests" / "small.yaml"


def small_params(params_yaml: str) -> str:
    """params.yaml with tests/small.yaml merged over it, key by key."""
    params = yaml.safe_load(params_yaml)
    for section, values in yaml.safe_load(SMALL.read_text()).items():
        params[section].update(values)
    return yaml.safe_dump(params, sort_keys=False, default_flow_style=None)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory, clone_environment: dict[str, str]) -> Clone:
    """A fresh clone with the small configuration (tests/small.yaml: 10,000 training images, 2 seeds, 1 epoch, narrow
    networks) reproduced from scratch, every stage, and committed: what the tests of DVC's behaviour (reruns, locks,
    remotes, queues) work on, in about half a minute. A test that changes anything works on `small.copy(...)`."""
    clone = fresh_clone(ROOT, tmp_path_factory.mktemp("small") / "repo", clone_environment)
    params = clone.path / "params.yaml"
    params.write_text(small_params(params.read_text()))
    assert clone.stages_run() == ALL_STAGES
    clone.run("git", "add", "-A")
    clone.run("git", "commit", "-qm", "The small configuration, reproduced")
    assert clone.is_up_to_date()
    return clone


@pytest.fixture(scope="session")
def workspace(reproduced: Clone) -> Path:
    """What `mnist-predict` and its web page read: models/ and data/prepared/ as the README's first command leaves
    them, the committed configuration's models (both architectures, both frameworks, every seed). Read only."""
    return reproduced.path


SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
NO_CHROMIUM = (
    "no Chromium for the browser tests: install Playwright's (`python -m playwright install chromium`) or a system "
    "one on the PATH (Debian: `apt-get install chromium`; or Google Chrome)"
)


def chromium_executable(playwright_own: str, search_path: str | None = None) -> str | None:
    """Playwright's own Chromium where it is installed, else the first Chromium or Chrome on the PATH."""
    if playwright_own and Path(playwright_own).is_file():
        return playwright_own
    return next((found for name in SYSTEM_CHROMIUMS if (found := shutil.which(name, path=search_path))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium driven by Playwright. Without it the tests that use it fail; they never skip."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = chromium_executable(playwright.chromium.executable_path)
        if executable is None:
            pytest.fail(NO_CHROMIUM, pytrace=False)
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def s3() -> Iterator[object]:
    """A real S3 API on 127.0.0.1 (tests/s3.py: moto's server, authentication on), for the remote tests."""
    from tests.s3 import S3Server

    server = S3Server().start()
    yield server
    server.stop()


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


# What a test needs, as a marker, read from the fixtures it uses: `pytest -m browser`, `-m "not dvc"`, ...
NEEDS = {"browser": "browser", "s3": "s3", "reproduced": "dvc", "small": "dvc", "server": "server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in NEEDS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
