"""The README stays true: a two-command quick start, the same test command in CI, and the stages it describes."""

from __future__ import annotations

import re

from tests.project import ROOT, STAGES, TRAINERS

README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [block.strip() for block in blocks]


def test_quick_start_is_two_one_line_commands_set_up_and_test() -> None:
    commands = quick_start_commands()[:2]
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    set_up, test = commands
    assert set_up.startswith("python3 -m venv .venv") and "constraints.txt" in set_up and set_up.endswith("dvc repro")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    test_command = quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_the_stages_table_matches_dvc_yaml() -> None:
    table = re.findall(r"^\| `([\w@-]+)` \|", README, flags=re.M)
    assert table == list(STAGES)


def test_every_stage_lists_only_its_own_params_sections() -> None:
    for name in ("download", "parse", "evaluate", "report"):
        assert any(str(p).split(".")[0] == name for p in STAGES[name].params), name
    for name in TRAINERS["mlp"]:
        framework = name.removeprefix("train_").split("@")[0]
        other = "torch" if framework == "numpy" else "numpy"
        assert f"train_{framework}" in STAGES[name].params and f"train_{other}" not in STAGES[name].params


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)}: {target} does not exist"
