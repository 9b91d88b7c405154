"""The server the page's and the API's tests talk to: `mnist-predict --serve` in the reproduced workspace, one per
test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.recognition.serving import serving


@pytest.fixture(scope="module")
def server_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's TMPDIR, empty, so that a named file the server writes there shows. (An unnamed O_TMPFILE spool
    would not show in any listing: the in-memory parsing itself is what keeps uploads off the disk.)"""
    return tmp_path_factory.mktemp("server-tmp")


@pytest.fixture(scope="module")
def server(workspace: Path, server_temp: Path) -> Iterator[str]:
    with serving(workspace, server_temp) as (_, url):
        yield url
