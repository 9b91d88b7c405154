"""The reproducibility contract, tested on fresh clones of the committed repository.

The first tests check the real configuration's figures on `reproduced` (the committed pipeline, reproduced). The
others check DVC's behaviour (what reruns, a killed stage, the lock, push and pull) on `small`, a clone
of the small configuration in tests/small.yaml; each works on its own copy where it changes anything, so the tests
hold in any order. `pytest -m "not slow"` leaves them out.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.clones import Clone, fresh_clone
from tests.project import STAGES

pytestmark = pytest.mark.slow


def test_a_fresh_clone_reproduces_the_committed_metrics(reproduced: Clone) -> None:
    """CI's gate, the same code: bit-identical where the fingerprint matches the committed run's (this machine's
    kind), within the seed spread where it does not, saying which fields differ."""
    check = reproduced.run("python", "-m", "mnist_numpy_vs_torch.comparison.reproduction", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "reproduced: every model's figures keep the committed ones" in check.stdout
    committed = json.loads(reproduced.committed("metrics/scores.json"))
    now = json.loads((reproduced.path / "metrics" / "scores.json").read_text())
    for line in check.stdout.splitlines()[:-1]:
        architecture, framework = line.split(":")[0].split(".")
        if "same fingerprint" in line:
            assert now[architecture][framework] == committed[architecture][framework]
        else:
            assert "another fingerprint" in line and " -> " in line, line


def test_the_gate_judges_another_fingerprint_by_the_seed_spread_and_fails_outside_it(
    reproduced: Clone, tmp_path: Path
) -> None:
    """The run reproduced on this machine, committed, with one model's run faked as from another processor
    generation: the gate names the field and passes within the tolerance, and finds the other models' figures
    bit-identical (their fingerprints are this machine's, as the code that writes runs.json found it, whichever
    machine made the repository's own commit); a reproduced mean moved past the tolerance fails, naming the figure."""
    clone = reproduced.copy(tmp_path / "repo")
    runs_file = clone.path / "metrics" / "runs.json"
    reproduced_runs = runs_file.read_text()
    runs = json.loads(reproduced_runs)
    runs["mlp"]["torch"]["fingerprint"]["cpu_family"] = "elsewhere"
    runs_file.write_text(json.dumps(runs))
    clone.run("git", "commit", "-qam", "this machine's run, one model's as if from another processor")
    runs_file.write_text(reproduced_runs)
    gate = ["python", "-m", "mnist_numpy_vs_torch.comparison.reproduction"]
    passed = clone.run(*gate, check=False)
    assert passed.returncode == 0, passed.stderr
    assert "mlp.torch: another fingerprint than the committed run's (cpu_family: elsewhere -> " in passed.stdout
    assert "mlp.numpy: same fingerprint" in passed.stdout
    scores_file = clone.path / "metrics" / "scores.json"
    scores = json.loads(scores_file.read_text())
    scores["mlp"]["torch"]["test"]["accuracy"]["mean"] -= 0.01
    scores_file.write_text(json.dumps(scores))
    failed = clone.run(*gate, check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: mlp.torch.test.accuracy.mean: ") and "3 standard errors" in failed.stderr


def only_seed_0(clone: Clone) -> None:
    """Train one seed instead of all: a cheaper rerun of the same code, whose seed-0 results must not change."""
    params = clone.path / "params.yaml"
    text, count = re.subn(r"^  seeds: .*$", "  seeds: 1", params.read_text(), flags=re.M)
    assert count == 2, "one seeds key per architecture"
    params.write_text(text)


def seed_0_files(clone: Clone) -> dict[str, str]:
    return {name: digest for name, digest in clone.weights().items() if "seed-0." in name}


def test_retraining_gives_bit_identical_weights_and_metrics(small: Clone, tmp_path: Path) -> None:
    """Seed 0 trained again, in a run of its own, gives the same weights to the bit, and the same scores."""
    clone = small.copy(tmp_path / "repo")
    weights = seed_0_files(clone)
    scores = json.loads((clone.path / "metrics" / "scores.json").read_text())
    only_seed_0(clone)
    assert clone.stages_run() == {*STAGES} - {"download", "parse", "plots_page"}
    assert seed_0_files(clone) == weights
    again = json.loads((clone.path / "metrics" / "scores.json").read_text())
    for architecture in ("mlp", "cnn"):
        for framework in ("numpy", "torch"):
            for split in ("test", "val"):
                for quantity in ("accuracy", "loss"):
                    was = scores[architecture][framework][split][quantity]["seeds"]["seed-0"]
                    assert again[architecture][framework][split][quantity]["seeds"] == {"seed-0": was}


def test_rerunning_evaluate_gives_bit_identical_metrics(small: Clone, tmp_path: Path) -> None:
    clone = small.copy(tmp_path / "repo")
    scores = (clone.path / "metrics" / "scores.json").read_bytes()
    assert clone.stages_run("--force", "--single-item", "evaluate") == {"evaluate"}
    assert (clone.path / "metrics" / "scores.json").read_bytes() == scores
    assert clone.stages_run() == set()  # same outputs: nothing downstream to redo


def output_hashes(clone: Clone, stage: str) -> dict[str, str]:
    """Each output of `stage` in dvc.lock, by path: its md5."""
    lock = yaml.safe_load((clone.path / "dvc.lock").read_text())["stages"][stage]
    return {out["path"]: out["md5"] for out in lock["outs"]}


def test_a_forced_retraining_changes_no_model_hash_and_reruns_nothing_after_it(small: Clone, tmp_path: Path) -> None:
    """The epochs' seconds vary from run to run; they live outside the cached model folder, so retraining on the
    same machine gives the folder the same hash, and evaluate stays up to date."""
    clone = small.copy(tmp_path / "repo")
    before = output_hashes(clone, "train_numpy@mlp")
    timings = clone.path / "metrics" / "timings" / "mlp-numpy.json"
    seconds = timings.read_text()
    assert clone.stages_run("--force", "--single-item", "train_numpy@mlp") == {"train_numpy@mlp"}
    after = output_hashes(clone, "train_numpy@mlp")
    assert after["models/mlp/numpy"] == before["models/mlp/numpy"]
    assert set(after) == {"models/mlp/numpy", "metrics/timings/mlp-numpy.json"}
    assert timings.read_text() != seconds, "the timings are this run's"
    assert clone.stages_run() == set()


def test_a_second_repro_runs_nothing(small: Clone) -> None:
    assert small.stages_run() == set()
    assert small.is_up_to_date()


def change(clone: Clone, path: str, section: str | None, key: str | None, value: object) -> None:
    file = clone.path / path
    if section is None:
        file.write_text(file.read_text() + "\n# an edit\n")
    else:
        params = yaml.safe_load(file.read_text())
        params[section][key] = value
        file.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.mark.parametrize(
    ("edit", "stale"),
    [
        (("params.yaml", "train_numpy", "threads", 1), {"train_numpy@mlp", "train_numpy@cnn"}),
        (("params.yaml", "cnn", "lr", 0.01), {"train_numpy@cnn", "train_torch@cnn", "report"}),
        (("params.yaml", "mlp", "epochs", 2), {"train_numpy@mlp", "train_torch@mlp", "report"}),
        (
            ("mnist_numpy_vs_torch/models/numpy_nn.py", None, None, None),
            {"train_numpy@mlp", "train_numpy@cnn", "evaluate", "report"},
        ),
        (("mnist_numpy_vs_torch/models/cnn.py", None, None, None), {"train_numpy@cnn", "train_torch@cnn", "report"}),
        # data parallelism is the NumPy trainer's alone: evaluation and the report never load it
        (
            ("mnist_numpy_vs_torch/nn/parallel/data_parallel.py", None, None, None),
            {"train_numpy@mlp", "train_numpy@cnn"},
        ),
        (("params.yaml", "evaluate", "batch_size", 1000), {"evaluate"}),
    ],
)
def test_a_change_makes_stale_only_what_reads_it(small: Clone, tmp_path: Path, edit: tuple, stale: set) -> None:
    """What `dvc status` names after a change to one architecture, one framework or one stage: the MLP's results
    are untouched by the CNN's settings and code, and the other way round. (What follows a stale stage reruns when
    its inputs change, which the tests below run for real.)"""
    clone = small.copy(tmp_path / "repo")
    change(clone, *edit)
    assert set(json.loads(clone.run("dvc", "status", "--json").stdout)) == stale


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("params.yaml", "report", "misclassified_shown", 8), {"report"}),
        # evaluate's outputs come out the same, so the report, which reads only them, has nothing to redo
        (("stages/evaluate.py", None, None, None), {"evaluate"}),
    ],
)
def test_a_change_reruns_only_what_depends_on_it(small: Clone, tmp_path: Path, edit: tuple, expected: set) -> None:
    clone = small.copy(tmp_path / "repo")
    change(clone, *edit)
    assert clone.stages_run() == expected
    assert clone.is_up_to_date()


def test_a_stage_killed_part_way_leaves_no_partial_output_and_the_next_repro_recovers(
    small: Clone, tmp_path: Path
) -> None:
    clone = small.copy(tmp_path / "repo")
    scores = (clone.path / "metrics" / "scores.json").read_bytes()
    command = [sys.executable, "-m", "dvc", "repro", "--force", "--single-item", "evaluate"]
    process = subprocess.Popen(
        command, cwd=clone.path, env=clone.env, start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    for line in process.stdout:
        if "Running stage 'evaluate'" in line:
            break
    time.sleep(1)  # into the stage's own work: it loads every model and scores 15,000 images with each
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = clone.path / "metrics" / "scores.json"
    assert not written.exists() or written.read_bytes() == scores
    clone.run("dvc", "repro")
    assert written.read_bytes() == scores
    assert list(clone.path.glob("metrics/.*.tmp")) == []
    assert clone.is_up_to_date()


def test_two_repros_at_once_one_runs_and_the_other_stops_on_the_lock(reproduced: Clone, tmp_path: Path) -> None:
    """On the real configuration, whose training holds DVC's lock long enough for a second repro to meet it."""
    clone = reproduced.copy(tmp_path / "repo")
    before = seed_0_files(clone)
    only_seed_0(clone)
    command = [sys.executable, "-m", "dvc", "repro", "--single-item", "train_numpy@mlp"]
    first = subprocess.Popen(command, cwd=clone.path, env=clone.env, stdout=subprocess.PIPE, text=True)
    for line in first.stdout:
        if "Running stage 'train_numpy@mlp'" in line:
            break  # the stage runs now, under DVC's lock; a seed of training holds it for seconds
    second = clone.run("dvc", "repro", check=False)
    first.communicate(timeout=600)
    assert first.returncode == 0
    assert second.returncode != 0
    # DVC holds its repository lock while it plans, and a read/write lock on the stage's paths while the stage runs
    refusal = second.stderr + second.stdout
    assert "Unable to acquire lock" in refusal or "is busy, it is being blocked by" in refusal, refusal
    assert {k: v for k, v in seed_0_files(clone).items() if "numpy" in k} == {
        k: v for k, v in before.items() if "numpy" in k
    }  # the run that held the lock reproduced the same weights


def test_push_then_pull_in_a_fresh_clone_runs_no_stage(small: Clone, tmp_path: Path) -> None:
    clone = small.copy(tmp_path / "repo")
    remote = tmp_path / "remote"
    clone.run("dvc", "remote", "add", "-d", "shared", str(remote))
    clone.run("git", "commit", "-qam", "add a local DVC remote")
    clone.run("git", "add", "dvc.lock", "metrics", "report")
    clone.run("git", "commit", "-qm", "reproduced outputs", check=False)
    clone.run("dvc", "push")

    pulled = fresh_clone(clone.path, tmp_path / "pulled", clone.env)
    pulled.run("dvc", "pull")
    assert (pulled.path / "models" / "mlp" / "numpy" / "seed-0.npz").is_file()
    assert pulled.is_up_to_date()
    assert pulled.stages_run() == set()

    repro_pull = fresh_clone(clone.path, tmp_path / "repro-pull", clone.env)
    assert repro_pull.stages_run("--pull") == set()
    assert repro_pull.digests("models") == pulled.digests("models")
