"""Clones of this repository for the tests that run the real pipeline: DVC, git and the stage commands as a user
runs them, each in its own folder."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def stages_in(repro_output: str) -> set[str]:
    """The stages that a `dvc repro`'s output says it ran."""
    return set(re.findall(r"Running stage '([^']+)'", repro_output))


def stages_unchanged(repro_output: str) -> set[str]:
    """The stages that a `dvc repro`'s output says it checked and left alone: their inputs and outputs hash as dvc.lock
    records them. In a fresh clone, a stage whose outputs are all in git and whose inputs came out byte-identical."""
    return set(re.findall(r"Stage '([^']+)' didn't change, skipping", repro_output))


def reproduced_from_scratch(repro_output: str, every_stage: set[str], trainers: set[str]) -> str | None:
    """None when a fresh clone's `dvc repro` output shows a reproduction from scratch: every training stage ran (their
    outputs live in DVC's cache alone) and every other stage either ran or found its committed outputs current;
    otherwise what is missing, in a line."""
    ran, unchanged = stages_in(repro_output), stages_unchanged(repro_output)
    if not trainers <= ran:
        return f"dvc repro did not train {sorted(trainers - ran)}"
    if ran | unchanged != every_stage:
        return f"dvc repro neither ran nor checked {sorted(every_stage - ran - unchanged)}"
    return None


class Clone:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command in the clone; `dvc ...` runs the DVC of the Python running the tests."""
        command = [sys.executable, "-m", "dvc", *args[1:]] if args[0] == "dvc" else list(args)
        result = subprocess.run(command, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def stages_run(self, *args: str) -> set[str]:
        """The stages a `dvc repro` with `args` ran."""
        return stages_in(self.run("dvc", "repro", *args).stdout)

    def is_up_to_date(self) -> bool:
        return self.run("dvc", "status", "-q", check=False).returncode == 0

    def weights(self) -> dict[str, str]:
        return {name: digest for name, digest in self.digests("models").items() if name.endswith((".npz", ".pt"))}

    def committed(self, path: str) -> str:
        return self.run("git", "show", f"HEAD:{path}").stdout

    def digests(self, *folders: str) -> dict[str, str]:
        files = sorted(p for folder in folders for p in (self.path / folder).rglob("*") if p.is_file())
        return {str(p.relative_to(self.path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    def copy(self, destination: Path, leave_out: tuple[str, ...] = ()) -> Clone:
        """An independent copy, workspace, git history and DVC cache included: a test can change it freely. The
        DVC cache's files are hard links: DVC never changes a cached file in place (it keeps them read-only), and
        linking them saves copying hundreds of megabytes per copy. Names in `leave_out` are not copied."""
        cache = self.path / ".dvc" / "cache"

        def link_cached(source: str, target: str) -> None:
            if Path(source).is_relative_to(cache):
                os.link(source, target)
            else:
                shutil.copy2(source, target)

        ignore = shutil.ignore_patterns(*leave_out) if leave_out else None
        shutil.copytree(self.path, destination, symlinks=True, copy_function=link_cached, ignore=ignore)
        return Clone(destination, self.env)


def fresh_clone(source: Path, destination: Path, env: dict[str, str]) -> Clone:
    subprocess.run(["git", "clone", "-q", str(source), str(destination)], check=True, env=env)
    return Clone(destination, env)
