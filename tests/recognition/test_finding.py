"""Where mnist-predict finds the project from any folder, how many worker processes the server starts, and the
settings `uvicorn ...server:app` reads from the environment: none of it needs a trained model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.recognition import workers
from mnist_numpy_vs_torch.recognition.project import data_folders, find_project
from mnist_numpy_vs_torch.recognition.server import Settings
from tests.project import ROOT

GiB = 1024**3


def project(folder: Path) -> Path:
    """A folder that looks like a checkout: dvc.yaml and the package beside it."""
    (folder / "mnist_numpy_vs_torch").mkdir(parents=True)
    (folder / "dvc.yaml").write_text("stages: {}\n")
    return folder


def test_the_project_is_found_from_any_folder_inside_it(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    inside = root / "docs" / "deeper"
    inside.mkdir(parents=True)
    assert find_project(here=inside, checkout=tmp_path / "elsewhere") == root


def test_from_outside_it_the_checkout_installed_from_answers(tmp_path: Path) -> None:
    checkout = project(tmp_path / "checkout")
    (tmp_path / "photos").mkdir()
    assert find_project(here=tmp_path / "photos", checkout=checkout) == checkout


def test_the_folder_given_comes_first_and_must_be_a_checkout(tmp_path: Path) -> None:
    given, here = project(tmp_path / "given"), project(tmp_path / "here")
    assert find_project(given, here=here, checkout=here) == given
    with pytest.raises(PipelineError, match=f"^{tmp_path / 'here' / 'docs'}: not a checkout of this project"):
        find_project(here / "docs", here=here, checkout=here)


def test_with_no_project_anywhere_the_error_says_where_it_looked_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    with pytest.raises(PipelineError) as nothing:
        find_project(here=tmp_path / "photos", checkout=tmp_path / "site-packages")
    line = str(nothing.value)
    assert f"in {tmp_path / 'photos'} or any folder above it" in line
    assert f"nor at {tmp_path / 'site-packages'}" in line
    assert line.endswith("give --project DIR") and "\n" not in line


def test_the_command_reads_the_project_given_and_says_to_train_it_when_it_has_no_models(tmp_path: Path) -> None:
    given = project(tmp_path / "given")
    command = [sys.executable, "-m", "mnist_numpy_vs_torch.recognition.predict", "--project", str(given), "7.png"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {given / 'models' / 'cnn' / 'numpy'}, ")
    assert result.stderr.endswith("run `dvc repro` (or `dvc pull`) first\n") and result.stderr.count("\n") == 1


def test_the_models_and_data_folders_given_need_no_project(tmp_path: Path) -> None:
    models, prepared = tmp_path / "m", tmp_path / "p"
    assert data_folders(None, models, prepared, here=tmp_path) == (models, prepared)
    root = project(tmp_path / "repo")
    assert data_folders(None, models, None, here=root) == (models, root / "data" / "prepared")


def test_a_worker_per_core_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "available_cores", lambda: 6)
    monkeypatch.setattr(workers, "available_memory", lambda: 64 * GiB)
    assert workers.default_count() == 6


def test_no_more_workers_than_the_memory_holds_and_never_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "available_cores", lambda: 16)
    monkeypatch.setattr(workers, "available_memory", lambda: 3 * workers.WORKER_BYTES + 1)
    assert workers.default_count() == 3
    monkeypatch.setattr(workers, "available_memory", lambda: 0)
    assert workers.default_count() == 1
    monkeypatch.setattr(workers, "available_memory", lambda: None)  # not Linux: the cores decide
    assert workers.default_count() == 16


def test_available_memory_is_the_lesser_of_the_system_and_the_containers(tmp_path: Path) -> None:
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    proc.mkdir()
    cgroup.mkdir()
    (proc / "meminfo").write_text("MemTotal:       16000000 kB\nMemAvailable:    8388608 kB\n")
    assert workers.available_memory(proc, cgroup) == 8 * GiB
    (cgroup / "memory.max").write_text("max\n")
    assert workers.available_memory(proc, cgroup) == 8 * GiB
    (cgroup / "memory.max").write_text(f"{4 * GiB}\n")
    (cgroup / "memory.current").write_text(f"{GiB}\n")
    assert workers.available_memory(proc, cgroup) == 3 * GiB
    assert workers.available_memory(tmp_path / "none", tmp_path / "none") is None


@pytest.mark.parametrize(
    ("name", "value", "told"),
    [
        ("MNIST_PREDICT_WORKERS", "0", "MNIST_PREDICT_WORKERS=0: give a number of worker processes, 1 or more"),
        ("MNIST_PREDICT_WORKERS", "two", "MNIST_PREDICT_WORKERS=two: give a number of worker processes, 1 or more"),
        ("MNIST_PREDICT_ARCH", "resnet", "MNIST_PREDICT_ARCH=resnet: give one of mlp, cnn or all"),
    ],
)
def test_a_bad_setting_in_the_environment_is_one_line(name: str, value: str, told: str) -> None:
    with pytest.raises(PipelineError) as refused:
        Settings.from_environment({name: value})
    assert str(refused.value) == told


def test_the_environment_chooses_the_project_the_models_and_the_workers(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    for framework, suffix in (("numpy", "npz"), ("torch", "pt")):
        (root / "models" / "mlp" / framework).mkdir(parents=True)
        (root / "models" / "mlp" / framework / f"seed-3.{suffix}").write_bytes(b"")
    environ = {"MNIST_PREDICT_PROJECT": str(root), "MNIST_PREDICT_ARCH": "mlp", "MNIST_PREDICT_WORKERS": "2"}
    settings = Settings.from_environment(environ)
    assert settings.workers == 2 and settings.models() == {"mlp": ["numpy", "torch"]}
    assert settings.source["seed"] == 3 and settings.source["models_dir"] == root / "models"
