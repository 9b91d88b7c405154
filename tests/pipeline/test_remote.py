"""Sharing results through an S3 remote, against a real S3 API on loopback (moto's server): push everything and the
run-cache, then clones that have only the Git repository and the remote get the same outputs without training."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clones import Clone, fresh_clone
from tests.project import TRAINING_STAGES
from tests.s3 import S3Server

pytestmark = pytest.mark.slow


def use_remote(clone: Clone, s3: S3Server, bucket: str) -> Clone:
    """The README's "Sharing results" commands: an S3 remote at `bucket` on the S3-compatible endpoint, committed
    with what `dvc repro` wrote (dvc.lock, metrics, report); the credentials stay in the environment."""
    clone.run("dvc", "remote", "add", "-d", "store", f"s3://{bucket}/cache")
    clone.run("dvc", "remote", "modify", "store", "endpointurl", s3.url)
    clone.run("git", "add", "-A")
    clone.run("git", "commit", "-qm", "Reproduced; share outputs through S3")
    return Clone(clone.path, clone.env | s3.environment())


@pytest.fixture(scope="module")
def pushed(small: Clone, s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Clone:
    """A reproduced clone whose outputs and run-cache were pushed to the bucket `shared`."""
    clone = use_remote(small.copy(tmp_path_factory.mktemp("pushed") / "repo"), s3, s3.create_bucket("shared"))
    clone.run("dvc", "push", "--run-cache")
    return clone


def clone_of(origin: Clone, destination: Path, env: dict[str, str] | None = None) -> Clone:
    """Another machine: only the Git repository (remote configuration included) and the credentials."""
    return fresh_clone(origin.path, destination, origin.env if env is None else env)


def cache_is_intact(clone: Clone) -> bool:
    """Every file in the DVC cache holds exactly the content its name (an MD5) says: nothing half-written."""
    files = [p for p in (clone.path / ".dvc" / "cache" / "files" / "md5").rglob("*") if p.is_file()]
    return all(hashlib.md5(p.read_bytes()).hexdigest() == p.parent.name + p.name.removesuffix(".dir") for p in files)


def test_pushed_outputs_are_all_in_the_bucket(pushed: Clone, s3: S3Server) -> None:
    keys = s3.keys("shared")
    local = [p for p in (pushed.path / ".dvc" / "cache" / "files" / "md5").rglob("*") if p.is_file()]
    assert {f"cache/files/md5/{p.parent.name}/{p.name}" for p in local} <= set(keys)
    assert any(key.startswith("cache/runs/") for key in keys), "the run-cache was pushed too"


def test_a_clone_with_git_and_the_remote_pulls_everything(pushed: Clone, tmp_path: Path) -> None:
    other = clone_of(pushed, tmp_path / "other")
    other.run("dvc", "pull")
    assert other.is_up_to_date()
    assert other.digests("models", "data", "metrics") == pushed.digests("models", "data", "metrics")


def test_repro_pull_runs_no_stage(pushed: Clone, tmp_path: Path) -> None:
    other = clone_of(pushed, tmp_path / "other")
    assert other.stages_run("--pull") == set()
    assert other.is_up_to_date()
    assert other.weights() == pushed.weights()


def test_the_run_cache_on_the_remote_restores_stages_without_dvc_lock(pushed: Clone, tmp_path: Path) -> None:
    """With no dvc.lock, DVC finds each stage's run by its command, deps and params in the remote run-cache.
    evaluate and report write git-committed (uncached) outputs, which the run-cache does not keep: they rerun."""
    other = clone_of(pushed, tmp_path / "other")
    other.run("git", "rm", "-q", "dvc.lock")
    output = other.run("dvc", "repro", "--pull").stdout
    for stage in ("download", "parse", *TRAINING_STAGES, "plots_page"):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in output
    assert not [stage for stage in TRAINING_STAGES if f"Running stage '{stage}'" in output]
    assert other.weights() == pushed.weights()
    assert other.run("git", "diff", "--stat", "HEAD", "--", "metrics", "report").stdout == ""


def test_wrong_credentials_fail_clearly_and_write_nothing(pushed: Clone, s3: S3Server, tmp_path: Path) -> None:
    wrong = pushed.env | s3.environment(secret_key="not-the-secret")
    other = clone_of(pushed, tmp_path / "other", wrong)
    before = other.digests("data", "models")
    result = other.run("dvc", "pull", check=False)
    assert result.returncode != 0
    first_error = next(line for line in result.stderr.splitlines() if line.startswith("ERROR"))
    assert "failed to connect to s3 (shared/cache" in first_error and "Forbidden" in first_error
    assert other.digests("data", "models") == before, "nothing checked out"
    assert cache_is_intact(other)
    assert other.run("git", "status", "--porcelain").stdout == ""


def test_a_missing_bucket_is_one_error_line(pushed: Clone, s3: S3Server) -> None:
    config = pushed.path / ".dvc" / "config.local"  # git-ignored: the committed configuration stays as it is
    pushed.run("dvc", "remote", "add", "--local", "nowhere", "s3://no-such-bucket/cache")
    pushed.run("dvc", "remote", "modify", "--local", "nowhere", "endpointurl", s3.url)
    try:
        result = pushed.run("dvc", "push", "-r", "nowhere", check=False)
    finally:
        config.unlink()
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "The specified bucket does not exist" in errors[0]
    assert "no-such-bucket" not in str(s3.client().list_buckets())
    assert pushed.is_up_to_date()


def test_a_push_cut_off_by_the_server_completes_on_the_second_push(small: Clone, s3: S3Server, tmp_path: Path) -> None:
    clone = use_remote(small.copy(tmp_path / "repo"), s3, s3.create_bucket("interrupted"))
    push = subprocess.Popen(
        [sys.executable, "-m", "dvc", "push", "-j", "1"],
        cwd=clone.path,
        env=clone.env | {"AWS_MAX_ATTEMPTS": "1"},  # botocore's retries spend ~7 s per file on a server that is gone
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not s3.keys("interrupted") and push.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    s3.stop()  # the server goes away with the push under way
    try:
        _, stderr = push.communicate(timeout=600)
    finally:
        s3.start()
    assert push.returncode != 0, "the push finished before the server stopped: nothing was cut off"
    assert "ERROR" in stderr
    stored_when_cut = len(s3.keys("interrupted"))
    clone.run("dvc", "push")
    assert len(s3.keys("interrupted")) > stored_when_cut
    other = clone_of(clone, tmp_path / "other")
    other.run("dvc", "pull")
    assert other.is_up_to_date() and cache_is_intact(other)
    assert other.weights() == clone.weights()
