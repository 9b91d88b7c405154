"""Each stage's command run as DVC runs it, in a folder of its own: a fault is one line on stderr naming the file,
key or URL, a non-zero exit, and nothing half-written; a killed download leaves nothing at its output path."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import yaml

from mnist_numpy_vs_torch.data import idx
from mnist_numpy_vs_torch.data.mnist import SHA256 as MNIST_SHA256
from tests.loopback import LoopbackServer
from tests.project import ROOT, STAGES, changed, run_stage, stage_command, write_params


def images(count: int) -> np.ndarray:
    return np.arange(count * 784, dtype=np.uint32).astype(np.uint8).reshape(count, 28, 28)


def test_stage_killed_part_way_then_rerun_ends_with_correct_files(tmp_path: Path, mnist_files: dict) -> None:
    """SIGKILL with half a file received leaves no file at the output path; the rerun completes it."""
    write_params(tmp_path)
    out = tmp_path / "raw"
    with LoopbackServer(mnist_files, {"stall": "stall", "good": "ok"}, slow_seconds=20) as server:
        env = os.environ | {"MNIST_MIRROR": server.url("stall")}
        process = subprocess.Popen(stage_command("download", str(out)), cwd=tmp_path, env=env)
        deadline = time.monotonic() + 20
        while not any(out.glob(".*.tmp")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert process.poll() is None and any(out.glob(".*.tmp")), "the download never got under way"
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert not any(out.glob("*.gz")), "a partial file stands at the output path"
        rerun = subprocess.run(
            stage_command("download", str(out)),
            cwd=tmp_path,
            env=os.environ | {"MNIST_MIRROR": server.url("good")},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(MNIST_SHA256)


def test_stage_failure_is_one_line_and_nonzero(tmp_path: Path) -> None:
    params = textwrap.dedent((ROOT / "params.yaml").read_text()).replace(
        "https://ossci-datasets.s3.amazonaws.com/mnist/", "http://127.0.0.1:9/"
    )
    params = params.replace("https://storage.googleapis.com/cvdf-datasets/mnist/", "http://127.0.0.1:9/b/")
    params = params.replace("retries: 3", "retries: 0").replace("timeout_seconds: 30.0", "timeout_seconds: 1.0")
    write_params(tmp_path, params)
    result = subprocess.run(stage_command("download", "raw"), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "http://127.0.0.1:9/" in errors[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


@pytest.mark.parametrize("fault", ["empty", "not-gzip", "bad-magic", "short"])
def test_the_parse_stage_prints_one_line_and_exits_nonzero(tmp_path: Path, fault: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    idx.write(raw / "train-images-idx3-ubyte.gz", images(12))
    idx.write(raw / "train-labels-idx1-ubyte.gz", np.arange(12, dtype=np.uint8) % 10)
    idx.write(raw / "t10k-images-idx3-ubyte.gz", images(3))
    idx.write(raw / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 3], np.uint8))
    broken = raw / "t10k-images-idx3-ubyte.gz"
    data = idx.encode(images(3))
    broken.write_bytes(
        {
            "empty": b"",
            "not-gzip": data,
            "bad-magic": gzip.compress(b"\x00\x00\x09\x03" + data[4:]),
            "short": gzip.compress(data[:-10]),
        }[fault]
    )
    params = (ROOT / "params.yaml").read_text().replace("val_size: 5000", "val_size: 2")
    write_params(tmp_path, params)
    result = subprocess.run(stage_command("parse", "raw", "out"), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: raw/t10k-images-idx3-ubyte.gz: ")
    assert not (tmp_path / "out").exists()


def test_every_stage_refuses_bad_params_before_work(tmp_path: Path) -> None:
    write_params(tmp_path, yaml.safe_dump(changed("mlp.lr", "1e-3")))
    with ThreadPoolExecutor(4) as pool:  # each is a process that mostly imports: side by side
        results = dict(zip(STAGES, pool.map(lambda stage: run_stage(tmp_path, stage), STAGES)))
    for stage, result in results.items():
        assert result.returncode == 1, stage
        assert result.stderr.startswith("error: mlp.lr: expected a number > 0, got the string '1e-3'"), stage
        assert len(result.stderr.strip().splitlines()) == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["dvc.yaml", "params.yaml"]


def test_parse_stage_names_a_malformed_file_in_one_line(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    idx.write(raw / "train-images-idx3-ubyte.gz", np.zeros((10, 28, 28), np.uint8))
    idx.write(raw / "train-labels-idx1-ubyte.gz", np.arange(10, dtype=np.uint8))
    idx.write(raw / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.uint8))
    idx.write(raw / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 11, 3], np.uint8))
    write_params(tmp_path)
    result = subprocess.run(stage_command("parse", "raw", "prepared"), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: raw/t10k-labels-idx1-ubyte.gz: label 11 at index 2 is outside 0..9"
    ]
    assert not (tmp_path / "prepared").exists()
