"""Shared fixtures: the real MNIST files beside the checkout, served over loopback HTTP, and the parsed splits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from stages import parse
from stages.mnist_download import MNIST_SHA256, RetryPolicy, fetch_all
from tests.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_SHARED_DIR", ROOT.parent / "shared" / "mnist"))
FAST_POLICY = RetryPolicy(timeout_seconds=5.0, retries=1, backoff_seconds=0.0)


@pytest.fixture(scope="session")
def mnist_files() -> dict[str, bytes]:
    if not all((MNIST_DIR / name).is_file() for name in MNIST_SHA256):
        pytest.skip(f"the four MNIST files are not in {MNIST_DIR} (set MNIST_SHARED_DIR)")
    return {name: (MNIST_DIR / name).read_bytes() for name in MNIST_SHA256}


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
    splits = parse.prepare(raw_dir, val_size=5000, seed=0)
    parse.dataset.save(destination, splits, parse.dataset.facts(splits))
    return destination


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their sources explicitly, so a developer's $MNIST_MIRROR must not leak in. The environment
    running the tests comes first on PATH, as an activated venv would: dvc stages run `python` from PATH."""
    monkeypatch.delenv("MNIST_MIRROR", raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
