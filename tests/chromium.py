"""Which Chromium the browser tests drive: Playwright's own where it is installed, else one on the PATH."""

from __future__ import annotations

import shutil
from pathlib import Path

SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


NO_CHROMIUM = (
    "no Chromium for the browser tests: install Playwright's (`python -m playwright install chromium`) or a system "
    "one on the PATH (Debian: `apt-get install chromium`; or Google Chrome)"
)


def chromium_executable(playwright_own: str, search_path: str | None = None) -> str | None:
    """Playwright's own Chromium where it is installed, else the first Chromium or Chrome on the PATH."""
    if playwright_own and Path(playwright_own).is_file():
        return playwright_own
    return next((found for name in SYSTEM_CHROMIUMS if (found := shutil.which(name, path=search_path))), None)
