"""The download stage over loopback HTTP: verified files, and refusal of anything else, under injected faults."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mnist_numpy_vs_torch.data.download import RetryPolicy, fetch, fetch_all, sources
from mnist_numpy_vs_torch.data.mnist import SHA256 as MNIST_SHA256
from mnist_numpy_vs_torch.errors import DownloadError
from tests.loopback import LoopbackServer
from tests.project import FAST_POLICY, ROOT, mnist_sources, verified_mnist

PAYLOAD = os.urandom(200_000)
NAME = "payload.bin"
SHA = hashlib.sha256(PAYLOAD).hexdigest()
QUICK = RetryPolicy(timeout_seconds=0.5, retries=1, backoff_seconds=0.0)


def fetch_from(server: LoopbackServer, mirrors: list[str], destination: Path) -> Path:
    return fetch(NAME, SHA, [server.url(m) for m in mirrors], destination, QUICK)


def test_real_mnist_files_arrive_verified(raw_dir: Path) -> None:
    for name, sha256 in MNIST_SHA256.items():
        assert hashlib.sha256((raw_dir / name).read_bytes()).hexdigest() == sha256
    assert sorted(p.name for p in raw_dir.iterdir()) == sorted(MNIST_SHA256)


def test_corrupted_mirror_is_refused_and_nothing_is_left(tmp_path: Path, mnist_files: dict[str, bytes]) -> None:
    with LoopbackServer(mnist_files, {"corrupt": "wrong"}) as server, pytest.raises(DownloadError) as error:
        fetch_all(tmp_path, [server.url("corrupt")], FAST_POLICY)
    assert "train-images-idx3-ubyte.gz" in str(error.value)
    assert "SHA-256" in str(error.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fault", ["500", "404", "reset", "short", "wrong", "slow", "redirect"])
def test_a_faulty_first_mirror_falls_through_to_a_good_one(tmp_path: Path, fault: str) -> None:
    with LoopbackServer({NAME: PAYLOAD}, {"faulty": fault, "good": "ok"}) as server:
        path = fetch_from(server, ["faulty", "good"], tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [p.name for p in tmp_path.iterdir()] == [NAME]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ("500", "HTTP 500"),
        ("404", "HTTP 404"),
        ("reset", "Error"),
        ("short", "Error"),
        ("wrong", "SHA-256"),
        ("slow", "timed out after 0.5 s"),
        ("redirect", "more than 5 redirects"),
    ],
)
def test_every_source_failing_is_one_error_listing_each_source(tmp_path: Path, fault: str, cause: str) -> None:
    with LoopbackServer({NAME: PAYLOAD}, {"faulty": fault}) as server:
        with pytest.raises(DownloadError) as error:
            fetch_from(server, ["faulty", "missing"], tmp_path)
        message = str(error.value)
    assert message.startswith(f"{NAME}: every source failed: ")
    assert f"{server.url('faulty')} (" in message and cause in message
    assert f"{server.url('missing')} (HTTP 404)" in message
    assert list(tmp_path.iterdir()) == []


def test_transient_errors_are_retried_but_a_404_is_not(tmp_path: Path) -> None:
    with LoopbackServer({NAME: PAYLOAD}, {"down": "500", "gone": "404"}) as server:
        with pytest.raises(DownloadError):
            fetch(NAME, SHA, [server.url("down"), server.url("gone")], tmp_path, RetryPolicy(5.0, 2, 0.0))
        assert server.requests["down"] == 3
        assert server.requests["gone"] == 1


def test_mirror_env_is_tried_first_and_may_be_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / NAME).write_bytes(PAYLOAD)
    assert sources(["https://a/", "https://b/"], {"MNIST_MIRROR": str(folder)}) == [
        str(folder),
        "https://a/",
        "https://b/",
    ]
    path = fetch(NAME, SHA, [str(folder), "https://unreachable.invalid/"], tmp_path / "out", QUICK)
    assert path.read_bytes() == PAYLOAD


def test_local_folder_with_wrong_bytes_is_refused(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(PAYLOAD[::-1])
    with pytest.raises(DownloadError, match="SHA-256"):
        fetch(NAME, SHA, [str(tmp_path)], tmp_path / "out", QUICK)
    assert not (tmp_path / "out" / NAME).exists()


def test_tests_look_for_mnist_in_the_shared_folder_then_data_raw() -> None:
    assert mnist_sources({"MNIST_SHARED_DIR": "/elsewhere"}) == [
        Path("/elsewhere"),
        ROOT.parent / "shared" / "mnist",
        ROOT / "data" / "raw",
    ]
    assert mnist_sources({})[0] == ROOT.parent / "shared" / "mnist"


def test_a_damaged_copy_is_passed_over_and_none_anywhere_is_one_line(tmp_path: Path, mnist_files: dict) -> None:
    damaged, good = tmp_path / "damaged", tmp_path / "good"
    for folder in (damaged, good):
        folder.mkdir()
        for name, data in mnist_files.items():
            (folder / name).write_bytes(data)
    (damaged / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the file")
    assert verified_mnist([damaged, good]) == mnist_files
    with pytest.raises(FileNotFoundError) as missing:
        verified_mnist([damaged, tmp_path / "nothing"])
    assert "\n" not in str(missing.value) and str(missing.value).endswith(
        "run `dvc repro` first (or set MNIST_SHARED_DIR)"
    )
