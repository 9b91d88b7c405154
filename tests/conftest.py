"""Shared fixtures: the real MNIST files, served over loopback HTTP, and the parsed splits; clones of the project
reproduced; the browser and the S3 server. Helpers live beside this file (tests/project.py, tests/clones.py, ...).

MNIST comes from $MNIST_SHARED_DIR when set, else ../shared/mnist beside the checkout, else the download stage's
data/raw; every file is checked against its published SHA-256. With none of them, the tests that need MNIST fail
with one line saying what to do: they never skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.data.download import fetch_all
from tests.chromium import NO_CHROMIUM, chromium_executable
from tests.clones import GIT_IDENTITY, Clone, fresh_clone, reproduced_from_scratch
from tests.loopback import LoopbackServer
from tests.project import (
    ALL_STAGES,
    FAST_POLICY,
    NOT_THE_PROJECT,
    ROOT,
    TRAINING_STAGES,
    checkout_is_reproduced,
    mnist_sources,
    run_cache_size,
    small_params,
    verified_mnist,
)


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


@pytest.fixture(scope="session")
def clone_environment(mnist_files: dict[str, bytes]) -> Iterator[dict[str, str]]:
    """What a user's shell has: the venv first on PATH, and MNIST_MIRROR at a loopback mirror of the real files."""
    with LoopbackServer(mnist_files, {"mnist": "ok"}, max_requests=1000) as server:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        yield os.environ | GIT_IDENTITY | {"MNIST_MIRROR": server.url("mnist"), "PATH": path}


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
        missing = reproduced_from_scratch(Path(log).read_text(), ALL_STAGES, TRAINING_STAGES)
        assert missing is None, f"{log}: {missing}"
        runs = run_cache_size(ROOT)
        assert runs <= len(ALL_STAGES), (
            f"CI_REPRODUCED_LOG is for a fresh clone that ran dvc repro once, as .ci/run does; {ROOT} holds "
            f"{runs} runs in its run-cache: unset it"
        )
    elif not checkout_is_reproduced(ROOT, clone_environment):
        clone = fresh_clone(ROOT, destination, clone_environment)
        missing = reproduced_from_scratch(clone.run("dvc", "repro").stdout, ALL_STAGES, TRAINING_STAGES)
        assert missing is None, missing
        return clone
    clone = Clone(ROOT, clone_environment).copy(destination, leave_out=NOT_THE_PROJECT)
    assert clone.is_up_to_date(), "the checkout is not up to date after its dvc repro"
    return clone


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


# What a test needs, as a marker, read from the fixtures it uses: `pytest -m browser`, `-m "not dvc"`, ...
NEEDS = {"browser": "browser", "s3": "s3", "reproduced": "dvc", "small": "dvc", "server": "server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in NEEDS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
