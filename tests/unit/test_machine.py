"""`threads: auto` shares this machine's cores among the DVC queue workers running on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mnist_numpy_vs_torch import machine
from mnist_numpy_vs_torch.errors import ParamsError
from mnist_numpy_vs_torch.params import validate
from tests.project import ROOT


def fake_proc(root: Path, commands: dict[int, list[str]]) -> Path:
    """A /proc with one process per pid, each with the argv given (cmdline is NUL-separated)."""
    for pid, argv in commands.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (root / "self").mkdir()  # not a pid: ignored
    return root


def worker(n: int, repo: str = "a1b2c3") -> list[str]:
    return ["/venv/bin/python", "/venv/bin/dvc", "exp", "queue-worker", f"dvc-exp-{repo}-{n}@localhost", "--clean"]


def test_workers_are_counted_by_name_across_repositories(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            10: worker(1),
            11: worker(1),  # a child process of worker 1: same name, counted once
            12: worker(2),
            13: worker(1, repo="ffffff"),  # another repository's queue shares the same cores
            14: ["python", "-m", "stages.train_numpy", "mlp", "data/prepared", "models/mlp/numpy"],
            15: ["grep", "queue-worker"],  # mentions it, but is not a worker
        },
    )
    assert machine.queue_workers(proc) == 3


def test_no_workers_means_all_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "available_cores", lambda: 8)
    monkeypatch.setattr(machine, "queue_workers", lambda: 0)
    assert machine.threads_for("auto") == 8
    assert machine.threads_for(3) == 3  # a number is taken as it is


@pytest.mark.parametrize(("cores", "workers", "threads"), [(2, 1, 2), (2, 2, 1), (16, 3, 5), (2, 4, 1)])
def test_auto_divides_the_cores_among_the_workers(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, threads: int
) -> None:
    monkeypatch.setattr(machine, "available_cores", lambda: cores)
    monkeypatch.setattr(machine, "queue_workers", lambda: workers)
    assert machine.threads_for("auto") == threads


@pytest.mark.parametrize("value", [0, "all", 1.5, True])
def test_threads_must_be_a_positive_integer_or_auto(value: object) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["train_numpy"]["threads"] = value
    with pytest.raises(ParamsError, match=r"^train_numpy\.threads: expected an integer >= 1 or auto"):
        validate(params)
