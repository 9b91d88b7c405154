"""dvc.yaml's code deps are exactly what each stage's command imports, so an edit reruns what it can affect and
nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.clones import Clone
from tests.conftest import ROOT
from tests.imports import code_deps, files_run_by, module_file

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
LIBRARY = ROOT / "mnist_numpy_vs_torch"


def listed_code(stage: dict) -> set[str]:
    return {dep for dep in stage["deps"] if dep.endswith(".py")}


@pytest.mark.parametrize("name", list(STAGES))
def test_each_stage_lists_exactly_the_files_its_command_imports(name: str) -> None:
    imported, listed = code_deps(ROOT, STAGES[name]["cmd"]), listed_code(STAGES[name])
    assert sorted(imported - listed) == [], f"{name} runs these files but dvc.yaml does not list them"
    assert sorted(listed - imported) == [], f"{name} lists these files in dvc.yaml but never imports them"


def test_every_library_module_is_run_by_a_stage_or_a_command() -> None:
    commands = ["mnist_numpy_vs_torch.predict", "mnist_numpy_vs_torch.reproduction"]  # mnist-predict, CI's gate
    used = {ROOT / f for stage in STAGES.values() for f in code_deps(ROOT, stage["cmd"])}
    used |= {f for command in commands for f in files_run_by(ROOT, module_file(ROOT, command))}
    assert set(LIBRARY.glob("*.py")) - used == set()


def test_lazy_imports_count_too(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "eager.py").write_text("from pkg import lazy\n")
    (tmp_path / "pkg" / "lazy.py").write_text("def load():\n    from pkg.inner import thing\n    return thing\n")
    (tmp_path / "pkg" / "inner.py").write_text("thing = 1\n")
    found = files_run_by(tmp_path, tmp_path / "pkg" / "eager.py")
    assert {p.name for p in found} == {"__init__.py", "eager.py", "lazy.py", "inner.py"}


def test_the_torch_model_does_not_need_the_numpy_model_and_evaluate_not_the_schedule() -> None:
    torch_model = files_run_by(ROOT, module_file(ROOT, "mnist_numpy_vs_torch.mlp_torch"))
    assert LIBRARY / "mlp_numpy.py" not in torch_model
    numpy_model = files_run_by(ROOT, module_file(ROOT, "mnist_numpy_vs_torch.mlp_numpy"))
    assert LIBRARY / "mlp_torch.py" not in numpy_model
    assert "mnist_numpy_vs_torch/schedule.py" not in code_deps(ROOT, STAGES["evaluate"]["cmd"])
    assert "mnist_numpy_vs_torch/mlp_torch.py" not in code_deps(ROOT, STAGES["train_numpy"]["cmd"])
    assert "mnist_numpy_vs_torch/mlp_numpy.py" not in code_deps(ROOT, STAGES["train_torch"]["cmd"])


@pytest.mark.slow
def test_editing_any_code_file_marks_exactly_the_stages_that_import_it(reproduced: Clone) -> None:
    """In a clone after `dvc repro`: append a comment to each file in turn; `dvc status` must name exactly the
    stages whose commands import it. The file is restored before the next."""
    root = reproduced.path
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    files = sorted(
        str(p.relative_to(root)) for folder in ("mnist_numpy_vs_torch", "stages") for p in (root / folder).glob("*.py")
    )
    wrong = {}
    for file in files:
        path = root / file
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        try:
            status = json.loads(reproduced.run("dvc", "status", "--json").stdout or "{}")
        finally:
            path.write_bytes(original)
        expected = {name for name, stage in stages.items() if file in code_deps(root, stage["cmd"])}
        if set(status) != expected:
            wrong[file] = {"stale": sorted(status), "importers": sorted(expected)}
    assert wrong == {}
    assert reproduced.is_up_to_date()
