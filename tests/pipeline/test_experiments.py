"""Sweeps with DVC's experiment queue, on one machine and across two that share a Git remote and an S3 remote; and
the experiments table docs/operations.md shows. On `small`, the small configuration (tests/small.yaml)."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from mnist_numpy_vs_torch.machine import available_cores
from tests.clones import Clone, fresh_clone
from tests.s3 import S3Server

pytestmark = pytest.mark.slow

# the table docs/operations.md shows
TABLE = ["--only-changed", "--keep", r"(mlp|cnn)\.(numpy|torch|diff|verdict)|cnn_vs_mlp", "--drop", ".*/"]


def experiments(clone: Clone) -> dict[str, dict]:
    """Each experiment's name -> its rev, params.yaml and metrics/summary.json, from `dvc exp show --json`."""
    found = {}
    for baseline in json.loads(clone.run("dvc", "exp", "show", "--json").stdout):
        for experiment in baseline.get("experiments") or []:
            for rev in experiment["revs"]:
                data = rev["data"]
                found[rev["name"]] = {
                    "rev": rev["rev"],
                    "params": data["params"]["params.yaml"]["data"],
                    "summary": data["metrics"]["metrics/summary.json"]["data"],
                }
    return found


def without_nulls(figures: dict) -> dict:
    return {k: without_nulls(v) if isinstance(v, dict) else v for k, v in figures.items() if v is not None}


def table_columns(clone: Clone, *args: str) -> list[str]:
    header = clone.run("dvc", "exp", "show", "--csv", *args).stdout.splitlines()[0].split(",")
    return [c for c in header if c not in {"rev", "typ", "parent"}]  # the table merges these into Experiment


def wait_for_queue(clone: Clone, timeout: float = 900) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = clone.run("dvc", "queue", "status").stdout
        if not any(word in status for word in ("Queued", "Running")):
            return status
        time.sleep(2)
    raise AssertionError(f"the queue did not finish in {timeout} s:\n{status}")


def test_the_readme_table_fits_a_screen_in_a_fresh_clone(small: Clone) -> None:
    columns = table_columns(small, *TABLE)
    assert len(columns) <= 30, columns
    assert {"mlp.numpy.test_acc", "cnn.diff.test_acc_lo", "cnn.verdict.test_loss", "cnn_vs_mlp.torch.test_acc"} <= set(
        columns
    )
    plain = table_columns(small)
    assert not any(".seeds." in c or ".recall." in c for c in plain), "per-seed and per-class figures are not metrics"


def test_a_queued_sweep_shares_the_cores_and_the_best_is_applied_and_diffs_against_the_commit(
    small: Clone, tmp_path: Path
) -> None:
    clone = small.copy(tmp_path / "repo")
    clone.run("dvc", "exp", "run", "--queue", "-S", "mlp.lr=0.05,0.2")  # reruns the MLP's stages, not the CNN's
    clone.run("dvc", "queue", "start", "-j", "2")
    status = wait_for_queue(clone)
    assert status.count("Success") == 2, status

    found = experiments(clone)
    assert sorted(e["params"]["mlp"]["lr"] for e in found.values()) == [0.05, 0.2]
    for experiment in found.values():
        runs = json.loads(clone.run("git", "show", f"{experiment['rev']}:metrics/runs.json").stdout)
        assert {run["threads"] for run in runs["mlp"].values()} == {max(1, available_cores() // 2)}

    columns = table_columns(clone, *TABLE)
    assert "mlp.lr" in columns and len(columns) <= 30, columns

    best = max(found, key=lambda name: found[name]["summary"]["mlp"]["numpy"]["test_acc"])
    lr = found[best]["params"]["mlp"]["lr"]
    clone.run("dvc", "exp", "apply", best)
    applied = json.loads((clone.path / "metrics" / "summary.json").read_text())
    assert without_nulls(applied) == found[best]["summary"]  # `exp show` leaves out null figures
    assert f"lr: {lr}" in (clone.path / "params.yaml").read_text()

    # committed, the diffs against the commit before show the change and only it
    clone.run("git", "add", "-A")
    clone.run("git", "commit", "-qm", f"mlp.lr {lr}, the best of the sweep")
    metrics_diff = clone.run("dvc", "metrics", "diff", "HEAD~1", "HEAD", "--md").stdout
    assert re.search(r"mlp\.numpy\.test_acc\s*\|\s*0\.9\d*\s*\|\s*0\.9\d*\s*\|\s*-?0\.\d+", metrics_diff), metrics_diff
    assert "cnn.numpy.test_acc" not in metrics_diff, "the CNN's figures did not move"
    params_diff = clone.run("dvc", "params", "diff", "HEAD~1", "HEAD", "--md").stdout
    was = yaml.safe_load(clone.run("git", "show", "HEAD~1:params.yaml").stdout)["mlp"]["lr"]
    assert re.search(rf"mlp\.lr\s*\|\s*{was}\s*\|\s*{lr}\s*\|", params_diff), params_diff
    plots = json.loads(clone.run("dvc", "plots", "diff", "HEAD~1", "HEAD", "--json").stdout)
    declared = yaml.safe_load(clone.committed("dvc.yaml"))["plots"]
    assert "errors" not in plots and len(plots["data"]) == len(declared)
    curves = plots["data"]["Validation accuracy per epoch, mean over seeds"][0]
    assert len(curves["revisions"]) == 2


def test_two_machines_split_a_sweep_and_a_third_compares_both(small: Clone, s3: S3Server, tmp_path: Path) -> None:
    """The README's "Scaling out": a bare Git remote and an S3 remote shared by every machine."""
    origin = tmp_path / "origin.git"
    first = small.copy(tmp_path / "first")
    first.run("git", "init", "-q", "--bare", "-b", "main", str(origin))
    first.run("git", "remote", "set-url", "origin", str(origin))  # the team's Git server
    first.run("dvc", "remote", "add", "-d", "store", f"s3://{s3.create_bucket('team')}/cache")
    first.run("dvc", "remote", "modify", "store", "endpointurl", s3.url)
    first.run("git", "add", "-A")  # what `dvc repro` wrote, and the remote
    first.run("git", "commit", "-qm", "Reproduced; share outputs through S3")
    first.run("git", "push", "-q", "origin", "HEAD:main")
    first = Clone(first.path, first.env | s3.environment())
    first.run("dvc", "push")

    def machine(name: str, lr: str) -> dict:
        """One machine's share of the sweep: clone, pull what it needs, run its experiment, push it."""
        clone = fresh_clone(origin, tmp_path / name, first.env)
        output = clone.run("dvc", "exp", "run", "--pull", "-n", f"lr-{lr}", "-S", f"mlp.lr={lr}").stdout
        assert "Running stage 'train_numpy@mlp'" in output
        assert "Running stage 'download'" not in output and "Running stage 'parse'" not in output, "pulled, not redone"
        assert "Running stage 'train_numpy@cnn'" not in output, "the CNN's stages do not read mlp.lr"
        clone.run("dvc", "exp", "push", "origin", f"lr-{lr}")
        return experiments(clone)[f"lr-{lr}"]

    with ThreadPoolExecutor(2) as both:  # the two machines work at the same time
        jobs = {name: both.submit(machine, name, lr) for name, lr in (("a", "0.05"), ("b", "0.2"))}
        machines = {name: job.result() for name, job in jobs.items()}

    third = fresh_clone(origin, tmp_path / "third", first.env)
    third.run("dvc", "exp", "pull", "origin", "lr-0.05", "lr-0.2")
    found = experiments(third)
    assert {found["lr-0.05"]["params"]["mlp"]["lr"], found["lr-0.2"]["params"]["mlp"]["lr"]} == {0.05, 0.2}
    assert found["lr-0.05"]["summary"] == machines["a"]["summary"]
    assert found["lr-0.2"]["summary"] == machines["b"]["summary"]
    third.run("dvc", "exp", "apply", "lr-0.2")  # its outputs come from the S3 remote
    third.run("dvc", "pull")
    assert third.is_up_to_date()
