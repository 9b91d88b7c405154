"""The reproducibility contract, tested on a fresh clone of the committed repository.

One clone runs the whole pipeline on the real MNIST files (served over loopback HTTP); the promises are then checked
against it in order. These tests take a few minutes: `pytest -m "not slow"` leaves them out.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from stages import reproduction
from tests.conftest import ROOT
from tests.loopback import LoopbackServer

pytestmark = pytest.mark.slow

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


class Clone:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "dvc", *args[1:]] if args[0] == "dvc" else list(args)
        result = subprocess.run(command, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def stages_run(self, *args: str) -> set[str]:
        return set(re.findall(r"Running stage '([^']+)'", self.run("dvc", "repro", *args).stdout))

    def weights(self) -> dict[str, str]:
        return {name: digest for name, digest in self.digests("models").items() if name.endswith((".npz", ".pt"))}

    def committed(self, path: str) -> str:
        return self.run("git", "show", f"HEAD:{path}").stdout

    def digests(self, *folders: str) -> dict[str, str]:
        files = sorted(p for folder in folders for p in (self.path / folder).rglob("*") if p.is_file())
        return {str(p.relative_to(self.path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def fresh_clone(source: Path, destination: Path, env: dict[str, str]) -> Clone:
    subprocess.run(["git", "clone", "-q", str(source), str(destination)], check=True, env=env)
    return Clone(destination, env)


@pytest.fixture(scope="module")
def environment(mnist_files: dict[str, bytes]) -> Iterator[dict[str, str]]:
    with LoopbackServer(mnist_files, {"mnist": "ok"}, max_requests=1000) as server:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        yield os.environ | GIT_IDENTITY | {"MNIST_MIRROR": server.url("mnist"), "PATH": path}


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str]) -> Clone:
    """A fresh clone after `dvc repro`: what a newcomer has after the README's first command."""
    clone = fresh_clone(ROOT, tmp_path_factory.mktemp("clone") / "repo", environment)
    ran = clone.stages_run()
    assert ran == {"download", "parse", "train_numpy", "train_torch", "evaluate", "report"}
    return clone


def test_1_fresh_clone_reproduces_the_committed_metrics(reproduced: Clone) -> None:
    committed = json.loads(reproduced.committed("metrics/scores.json"))
    now = json.loads((reproduced.path / "metrics" / "scores.json").read_text())
    assert reproduction.problems(committed, now) == []
    check = reproduced.run("python", "-m", "stages.reproduction")
    assert "match the committed ones" in check.stdout


def test_2_a_second_run_gives_bit_identical_weights_and_metrics(reproduced: Clone) -> None:
    weights = reproduced.weights()
    scores = (reproduced.path / "metrics" / "scores.json").read_bytes()
    assert reproduced.stages_run("--force", "--single-item", "train_numpy") == {"train_numpy"}
    assert reproduced.stages_run("--force", "--single-item", "train_torch") == {"train_torch"}
    assert reproduced.stages_run("--force", "--single-item", "evaluate") == {"evaluate"}
    assert reproduced.weights() == weights
    assert (reproduced.path / "metrics" / "scores.json").read_bytes() == scores
    # the training logs record this run's timings, so the report (which shows them) is out of date, and only it
    assert reproduced.stages_run() == {"report"}


def test_3_a_second_repro_runs_nothing(reproduced: Clone) -> None:
    assert reproduced.stages_run() == set()
    assert reproduced.run("dvc", "status", "-q", check=False).returncode == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("params.yaml", "train_numpy", "threads", 1), {"train_numpy", "evaluate", "report"}),
        (("params.yaml", "report", "misclassified_shown", 8), {"report"}),
        # evaluate's outputs come out the same, so the report, which reads only them, has nothing to redo
        (("stages/evaluate.py", None, None, None), {"evaluate"}),
    ],
)
def test_4_a_change_reruns_only_what_depends_on_it(reproduced: Clone, change: tuple, expected: set[str]) -> None:
    path, section, key, value = change
    file = reproduced.path / path
    original = file.read_text()
    try:
        if section is None:
            file.write_text(original + "\n# an edit\n")
        else:
            params = yaml.safe_load(original)
            params[section][key] = value
            file.write_text(yaml.safe_dump(params, sort_keys=False))
        assert reproduced.stages_run() == expected
    finally:
        file.write_text(original)
    reproduced.run("dvc", "repro")
    assert reproduced.run("dvc", "status", "-q", check=False).returncode == 0


def test_a_stage_killed_part_way_leaves_no_partial_output_and_the_next_repro_recovers(reproduced: Clone) -> None:
    scores = (reproduced.path / "metrics" / "scores.json").read_bytes()
    command = [sys.executable, "-m", "dvc", "repro", "--force", "--single-item", "evaluate"]
    process = subprocess.Popen(
        command, cwd=reproduced.path, env=reproduced.env, start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    for line in process.stdout:
        if "Running stage 'evaluate'" in line:
            break
    time.sleep(1)  # into the stage's own work: it loads six models and scores 70,000 images
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = reproduced.path / "metrics" / "scores.json"
    assert not written.exists() or written.read_bytes() == scores
    reproduced.run("dvc", "repro")
    assert written.read_bytes() == scores
    assert list(reproduced.path.glob("metrics/.*.tmp")) == []
    assert reproduced.run("dvc", "status", "-q", check=False).returncode == 0


def test_two_repros_at_once_one_runs_and_the_other_stops_on_the_lock(reproduced: Clone) -> None:
    before = reproduced.weights()
    command = [sys.executable, "-m", "dvc", "repro", "--force", "--single-item", "train_numpy"]
    first = subprocess.Popen(command, cwd=reproduced.path, env=reproduced.env, stdout=subprocess.PIPE, text=True)
    for line in first.stdout:
        if "Running stage 'train_numpy'" in line:
            break  # the stage runs now, under DVC's lock; three seeds of training hold it for many seconds
    second = reproduced.run("dvc", "repro", check=False)
    first.communicate(timeout=600)
    assert first.returncode == 0
    assert second.returncode != 0
    # DVC holds its repository lock while it plans, and a read/write lock on the stage's paths while the stage runs
    refusal = second.stderr + second.stdout
    assert "Unable to acquire lock" in refusal or "is busy, it is being blocked by" in refusal, refusal
    assert reproduced.weights() == before  # the run that held the lock reproduced the same weights
    reproduced.run("dvc", "repro")  # the report shows the new training times
    assert reproduced.run("dvc", "status", "-q", check=False).returncode == 0


def test_7_push_then_pull_in_a_fresh_clone_runs_no_stage(reproduced: Clone, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    reproduced.run("dvc", "remote", "add", "-d", "shared", str(remote))
    reproduced.run("git", "commit", "-qam", "add a local DVC remote")
    reproduced.run("git", "add", "dvc.lock", "metrics", "report")
    reproduced.run("git", "commit", "-qm", "reproduced outputs", check=False)
    reproduced.run("dvc", "push")

    pulled = fresh_clone(reproduced.path, tmp_path / "pulled", reproduced.env)
    pulled.run("dvc", "pull")
    assert (pulled.path / "models" / "numpy" / "seed-0.npz").is_file()
    assert pulled.run("dvc", "status", "-q", check=False).returncode == 0
    assert pulled.stages_run() == set()

    repro_pull = fresh_clone(reproduced.path, tmp_path / "repro-pull", reproduced.env)
    assert repro_pull.stages_run("--pull") == set()
    assert repro_pull.digests("models") == pulled.digests("models")


def test_5_and_6_experiment_then_diff_metrics_and_params_between_commits(reproduced: Clone) -> None:
    """`dvc exp run -S train.epochs=1` runs and is listed; applied and committed, the diffs show the change."""
    epochs = yaml.safe_load(reproduced.committed("params.yaml"))["train"]["epochs"]
    reproduced.run("dvc", "exp", "run", "-n", "one-epoch", "-S", "train.epochs=1")
    shown = reproduced.run("dvc", "exp", "show", "--md").stdout
    assert "one-epoch" in shown
    reproduced.run("git", "add", "-A")
    reproduced.run("git", "commit", "-qm", "one epoch", check=False)

    metrics_diff = reproduced.run("dvc", "metrics", "diff", "HEAD~1", "HEAD", "--md").stdout
    assert re.search(r"numpy\.test\.accuracy\.mean\s*\|\s*0\.98\d*\s*\|\s*0\.9\d*\s*\|\s*-0\.\d+", metrics_diff), (
        metrics_diff
    )
    params_diff = reproduced.run("dvc", "params", "diff", "HEAD~1", "HEAD", "--md").stdout
    assert re.search(rf"train\.epochs\s*\|\s*{epochs}\s*\|\s*1\s*\|", params_diff), params_diff
    plots = json.loads(reproduced.run("dvc", "plots", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert "errors" not in plots and len(plots["data"]) == 4
    curves = plots["data"]["Validation accuracy per epoch (mean over seeds)"][0]
    assert len(curves["revisions"]) == 2
