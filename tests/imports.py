"""What a stage's command runs: the repository's Python files it imports, directly or not, read from the code.

Every import statement counts, wherever it stands (a function-level import runs too when that function does),
and importing `a.b.c` runs `a/__init__.py` and `a/b/__init__.py` as well. A module imported by a name the command
gives (`import_module(f"package.{name}")`, as the training stages take their architecture) counts when one of
the command's words names it.
"""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass
from pathlib import Path


def module_file(root: Path, name: str) -> Path | None:
    """The repository file of module `name` (a.b -> a/b.py or a/b/__init__.py), or None if it is not ours."""
    path = root.joinpath(*name.split("."))
    return next((c for c in (path.with_suffix(".py"), path / "__init__.py") if c.is_file()), None)


def modules_imported(root: Path, file: Path) -> set[str]:
    """Every module name an import statement in `file` can load, with each package on the way."""
    package = file.relative_to(root).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = list(package[: len(package) - node.level + 1])
                base = ".".join([*parts, base] if base else parts)
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    with_packages = set()
    for name in names:
        bits = name.split(".")
        with_packages |= {".".join(bits[: i + 1]) for i in range(len(bits))}
    return with_packages


def files_run_by(root: Path, start: Path) -> set[Path]:
    """`start` and every repository file it imports, directly or not."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        todo += [f for name in modules_imported(root, file) if (f := module_file(root, name)) and f not in seen]
    return seen


def stage_entry(root: Path, command: str) -> Path:
    """The file a stage's `python -m package.module ...` or `python path/to/script.py ...` command starts."""
    words = shlex.split(command)
    if "-m" in words:
        found = module_file(root, words[words.index("-m") + 1])
    else:
        found = next((root / w for w in words if w.endswith(".py")), None)
    if found is None or not found.is_file():
        raise ValueError(f"cannot tell which file {command!r} runs")
    return found


def prefixes_imported_by_name(file: Path) -> set[str]:
    """The "package." of each `import_module(f"package.{...}")` in `file`."""
    prefixes = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module":
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.JoinedStr) and isinstance(first := argument.values[0], ast.Constant):
                prefixes.add(first.value)
    return prefixes


def code_deps(root: Path, command: str) -> set[str]:
    """The repository-relative paths of the Python files a stage command runs."""
    files = files_run_by(root, stage_entry(root, command))
    words = shlex.split(command)
    named = {
        found
        for prefix in set().union(*map(prefixes_imported_by_name, files))
        for word in words
        if (found := module_file(root, prefix + word))
    }
    for module in named:
        files |= files_run_by(root, module)
    return {str(f.relative_to(root)) for f in files}


@dataclass(frozen=True)
class Stage:
    cmd: str
    deps: list[str]  # repository-relative paths
    params: list[str]  # the params.yaml keys it declares


def pipeline_stages(root: Path) -> dict[str, Stage]:
    """dvc.yaml's stages as DVC itself resolves them: each matrix entry named as DVC names it (train_numpy@mlp),
    its ${item.x} filled in."""
    from dvc.repo import Repo

    stages = {}
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            if not getattr(stage, "cmd", None):
                continue
            deps = [d for d in stage.deps if type(d).__name__ != "ParamsDependency"]
            params = [key for d in stage.deps if type(d).__name__ == "ParamsDependency" for key in d.params]
            paths = [str(Path(d.fs_path).relative_to(root)) for d in deps]
            stages[stage.name] = Stage(stage.cmd, paths, params)  # train_numpy@mlp, wherever the repo is
    return stages
