"""dvc.yaml's code deps are exactly what each stage's command imports, so an edit reruns what it can affect and
nothing else; and the library's modules import each other without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.clones import Clone
from tests.imports import code_deps, files_run_by, module_file, modules_imported, pipeline_stages
from tests.project import ROOT, STAGES, TRAINING_STAGES

LIBRARY = ROOT / "mnist_numpy_vs_torch"


def listed_code(deps: list[str]) -> set[str]:
    return {dep for dep in deps if dep.endswith(".py")}


@pytest.mark.parametrize("name", list(STAGES))
def test_each_stage_lists_exactly_the_files_its_command_imports(name: str) -> None:
    imported, listed = code_deps(ROOT, STAGES[name].cmd), listed_code(STAGES[name].deps)
    assert sorted(imported - listed) == [], f"{name} runs these files but dvc.yaml does not list them"
    assert sorted(listed - imported) == [], f"{name} lists these files in dvc.yaml but never imports them"


def test_every_library_module_is_run_by_a_stage_or_a_command() -> None:
    commands = [
        "mnist_numpy_vs_torch.recognition.predict",
        "mnist_numpy_vs_torch.recognition.oracle",
        "mnist_numpy_vs_torch.comparison.reproduction",
    ]
    used = {ROOT / f for stage in STAGES.values() for f in code_deps(ROOT, stage.cmd)}
    used |= {f for command in commands for f in files_run_by(ROOT, module_file(ROOT, command))}
    assert set(LIBRARY.rglob("*.py")) - used == set()


def test_no_library_module_imports_itself_through_others() -> None:
    """A cycle (a imports b, b imports a, at any depth, function-level imports included) would make the modules one
    unit that only the interpreter's import order holds together. A module's own packages run before it whatever it
    imports, so the arrow to their __init__ is not one of its imports (a package re-exports its modules' names)."""

    def own_package(path: Path, found: Path) -> bool:
        return found.name == "__init__.py" and found.parent in path.parents

    graph = {
        path: {
            found
            for name in modules_imported(ROOT, path)
            if (found := module_file(ROOT, name)) and found != path and not own_package(path, found)
        }
        for path in LIBRARY.rglob("*.py")
    }
    cycles = set()
    for start in graph:
        todo, seen = list(graph[start]), set()
        while todo:
            node = todo.pop()
            if node == start:
                cycles.add(str(start.relative_to(ROOT)))
                break
            if node not in seen:
                seen.add(node)
                todo += graph.get(node, ())
    assert sorted(cycles) == []


def only_names_its_modules(init: Path) -> bool:
    """A package's __init__ holds a docstring, imports from its own modules and their list in __all__ (as torch.nn's
    re-exports its layers): importing it runs nothing but those modules."""
    package = ".".join(init.parent.relative_to(ROOT).parts)

    def harmless(node: ast.stmt) -> bool:
        if isinstance(node, ast.ImportFrom):
            return (node.module or "").startswith(f"{package}.")
        if isinstance(node, ast.Assign):
            return [target.id for target in node.targets if isinstance(target, ast.Name)] == ["__all__"]
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)

    return all(harmless(node) for node in ast.parse(init.read_text()).body)


def test_a_package_runs_nothing_but_the_modules_it_names() -> None:
    computing = [init for init in LIBRARY.rglob("__init__.py") if not only_names_its_modules(init)]
    assert [str(init.relative_to(ROOT)) for init in computing] == []


def test_a_package_that_computes_something_is_caught() -> None:
    assert not only_names_its_modules(ROOT / "tests" / "mutants.py")


def test_nothing_outside_stages_imports_a_stage_script() -> None:
    outside = [p for folder in ("mnist_numpy_vs_torch", "tests", "benchmarks") for p in (ROOT / folder).rglob("*.py")]
    importers = [
        str(p.relative_to(ROOT)) for p in outside if any(n.split(".")[0] == "stages" for n in modules_imported(ROOT, p))
    ]
    assert importers == []


def test_lazy_imports_count_too(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "eager.py").write_text("from pkg import lazy\n")
    (tmp_path / "pkg" / "lazy.py").write_text("def load():\n    from pkg.inner import thing\n    return thing\n")
    (tmp_path / "pkg" / "inner.py").write_text("thing = 1\n")
    found = files_run_by(tmp_path, tmp_path / "pkg" / "eager.py")
    assert {p.name for p in found} == {"__init__.py", "eager.py", "lazy.py", "inner.py"}


def test_one_framework_never_loads_the_other_and_evaluate_not_the_schedule() -> None:
    models = LIBRARY / "models"
    torch_model = files_run_by(ROOT, module_file(ROOT, "mnist_numpy_vs_torch.training.torch_steps"))
    numpy_model = files_run_by(ROOT, module_file(ROOT, "mnist_numpy_vs_torch.training.numpy_steps"))
    assert not {p for p in torch_model if "numpy" in p.name} and not {p for p in numpy_model if "torch" in p.name}
    assert models / "spec.py" in torch_model and models / "spec.py" in numpy_model  # the layer lists both build
    for name in TRAINING_STAGES:  # a training stage reads its own architecture's module, no other's
        framework, architecture = name.removeprefix("train_").split("@")
        files = code_deps(ROOT, STAGES[name].cmd)
        modules = {Path(f).name for f in files if "/models/" in f}
        assert f"{architecture}.py" in modules and not modules & {"mlp.py", "cnn.py"} - {f"{architecture}.py"}
        other = "torch" if framework == "numpy" else "numpy"
        assert not [f for f in files if other in Path(f).name], name
        assert framework == "numpy" or not [f for f in files if "/nn/" in f], f"{name} runs the NumPy layers"
    assert "mnist_numpy_vs_torch/training/schedule.py" not in code_deps(ROOT, STAGES["evaluate"].cmd)


@pytest.mark.slow
def test_editing_a_code_file_marks_exactly_the_stages_that_import_it(
    small: Clone, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a clone after `dvc repro`: append a comment to one file of each group of files that the same stages import
    (the test above checks every file's importers against dvc.yaml without DVC); `dvc status`, as DVC resolves the
    templated deps, must name exactly those stages. The file is restored before the next."""
    from dvc.repo import Repo

    root = small.path
    imported = {name: code_deps(root, stage.cmd) for name, stage in pipeline_stages(root).items()}
    files = sorted(
        str(p.relative_to(root)) for folder in ("mnist_numpy_vs_torch", "stages") for p in (root / folder).rglob("*.py")
    )
    groups: dict[frozenset[str], str] = {}
    for file in files:
        groups.setdefault(frozenset(name for name, deps in imported.items() if file in deps), file)
    assert len(groups) >= len(imported), "each stage has a file of its own, at least its script"
    monkeypatch.chdir(root)  # DVC names stages relative to the working directory, as `dvc status` run there does
    wrong = {}
    for expected, file in groups.items():
        path = root / file
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        try:
            with Repo(str(root)) as repo:  # `dvc status`, without starting an interpreter for each file
                status = repo.status()
        finally:
            path.write_bytes(original)
        if set(status) != expected:
            wrong[file] = {"stale": sorted(status), "importers": sorted(expected)}
    assert wrong == {}
    assert small.is_up_to_date()
