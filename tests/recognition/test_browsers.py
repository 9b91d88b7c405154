"""The browser tests find Chromium the usual ways: Playwright's own first, else a Chromium or Chrome on the PATH."""

from __future__ import annotations

from pathlib import Path

from tests.chromium import NO_CHROMIUM, chromium_executable


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_playwrights_own_chromium_comes_first(tmp_path: Path) -> None:
    own = executable(tmp_path / "chrome")
    (tmp_path / "bin").mkdir()
    executable(tmp_path / "bin" / "chromium")
    assert chromium_executable(str(own), search_path=str(tmp_path / "bin")) == str(own)


def test_without_it_a_system_chromium_or_chrome_on_the_path_is_used(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    chrome = executable(tmp_path / "bin" / "google-chrome")
    assert chromium_executable(str(tmp_path / "not-installed"), search_path=str(tmp_path / "bin")) == str(chrome)


def test_with_neither_the_failure_names_both_ways_to_get_one(tmp_path: Path) -> None:
    assert chromium_executable(str(tmp_path / "not-installed"), search_path=str(tmp_path)) is None
    assert "python -m playwright install chromium" in NO_CHROMIUM and "apt-get install chromium" in NO_CHROMIUM
