"""The params package: its modules import without a cycle, a stage's view is typed as the sections it reads, and
the CNN's geometry has one derivation that the checks and the network share."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest

from mnist_numpy_vs_torch.models import cnn
from mnist_numpy_vs_torch.params import (
    POOL,
    Params,
    ParamsError,
    StageParams,
    convolution_sides,
    for_stage,
    validate,
)
from tests.project import ROOT, changed, write_params


@pytest.mark.parametrize("module", ["checks", "schema", "load", "view"])
def test_each_module_imports_first_without_a_cycle(module: str) -> None:
    """Imported before anything else of the package, as a stage's import might reach it."""
    command = [sys.executable, "-c", f"import mnist_numpy_vs_torch.params.{module}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_stage_view_is_typed_as_the_sections_of_params() -> None:
    """StageParams's annotations give callers the sections' types; they must not drift from Params."""
    assert typing.get_type_hints(StageParams) == typing.get_type_hints(Params)


def test_for_stage_returns_the_view_it_is_typed_as(tmp_path: Path) -> None:
    write_params(tmp_path)
    view = for_stage("parse", tmp_path / "params.yaml")
    assert isinstance(view, StageParams) and not isinstance(view, Params)
    assert typing.get_type_hints(for_stage)["return"] is StageParams


def test_the_default_cnn_geometry() -> None:
    assert convolution_sides(5, 2) == ((28, 24, 12), (12, 8, 4))
    assert cnn.Shape((16, 32), 5, ()).sides() == [28, 12, 4] and cnn.POOL == POOL == 2


def test_an_odd_side_loses_its_last_row_to_the_pool() -> None:
    assert [sides.pooled for sides in convolution_sides(4, 3)] == [12, 4, 0]
    assert convolution_sides(3, 0) == ()


@pytest.mark.parametrize(
    ("kernel", "channels", "message"),
    [
        (28, [8], r"cnn\.kernel: convolution 1 sees 28x28 pixels, too few for a 28x28 kernel and a 2x2 max-pool; "),
        (5, [8, 8, 8], r"cnn\.kernel: convolution 3 sees 4x4 pixels, too few for a 5x5 kernel and a 2x2 max-pool"),
    ],
)
def test_a_kernel_too_large_for_the_image_is_refused(kernel: int, channels: list[int], message: str) -> None:
    raw = changed("cnn.kernel", kernel)
    raw["cnn"]["channels"] = channels
    with pytest.raises(ParamsError, match=message):
        validate(raw)


def test_a_kernel_that_leaves_each_pool_its_window_is_accepted() -> None:
    raw = changed("cnn.kernel", 5)
    raw["cnn"]["channels"] = [8, 8]  # 28 -> 24 -> 12 -> 8 -> 4: each convolution's output is at least 2x2
    assert validate(raw).cnn.kernel == 5
