"""params.yaml read and checked whole: every section against the schema, then the checks that span keys."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from mnist_numpy_vs_torch.data.mnist import TRAIN_COUNT
from mnist_numpy_vs_torch.errors import ParamsError, first_line
from mnist_numpy_vs_torch.params.checks import build, hints, refuse_unknown
from mnist_numpy_vs_torch.params.schema import POOL, Params, convolution_sides, recipes


def validate(raw: Any) -> Params:
    """Check `raw` (params.yaml as parsed) against the schema; return the typed, frozen parameters."""
    if not isinstance(raw, dict):
        raise ParamsError(f"params.yaml: expected a mapping of sections, got {type(raw).__name__}")
    sections = hints(Params)
    refuse_unknown("", raw, sections)
    typed = {}
    for section, cls in sections.items():
        values = raw.get(section)
        if not isinstance(values, dict):
            names = ", ".join(f.name for f in fields(cls))
            raise ParamsError(f"{section}: missing section (expected keys {names})")
        typed[section] = build(section, cls, values)
    params = Params(**typed)
    _check_across_keys(params)
    return params


def _check_across_keys(params: Params) -> None:
    if params.parse.val_size >= TRAIN_COUNT:
        raise ParamsError(
            f"parse.val_size: expected fewer than the {TRAIN_COUNT} training images, got {params.parse.val_size}"
        )
    rest = TRAIN_COUNT - params.parse.val_size
    if isinstance(params.parse.train_size, int) and params.parse.train_size > rest:  # not "all"
        raise ParamsError(
            f"parse.train_size: expected at most the {rest} training images left after parse.val_size, or all; "
            f"got {params.parse.train_size}"
        )
    for name, recipe in recipes(params).items():
        if recipe.lr_min > recipe.lr:
            raise ParamsError(f"{name}.lr_min: expected at most {name}.lr ({recipe.lr}), got {recipe.lr_min}")
    kernel = params.cnn.kernel
    for index, sides in enumerate(convolution_sides(kernel, len(params.cnn.channels))):
        if sides.convolved < POOL:
            side = sides.entering
            raise ParamsError(
                f"cnn.kernel: convolution {index + 1} sees {side}x{side} pixels, too few for a {kernel}x{kernel} "
                f"kernel and a {POOL}x{POOL} max-pool; use fewer cnn.channels or a smaller cnn.kernel"
            )


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; raise ParamsError naming the file or key on any fault."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(f"{path}: cannot read ({error.strerror})") from error
    try:
        raw = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({first_line(error)})") from error
    return validate(raw)
