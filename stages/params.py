"""Load and validate params.yaml: the one place that knows its schema.

Every stage calls `load_params()` before doing any work, so a typo or a wrong type fails at once, with the key's full
dotted name, instead of minutes into a training run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from stages.errors import PipelineError

MNIST_TRAIN_COUNT = 60_000

Check = Callable[[str, Any], Any]


class ParamsError(PipelineError):
    """params.yaml is missing, unreadable, or does not match the schema."""


def _integer(minimum: int | None = None) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{key}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise ParamsError(f"{key}: expected an integer >= {minimum}, got {value}")
        return value

    return check


def _number(minimum: float, *, exclusive: bool = False, maximum: float | None = None) -> Check:
    bound = f"> {minimum}" if exclusive else f">= {minimum}"
    if maximum is not None:
        bound += f" and < {maximum}"

    def check(key: str, value: Any) -> float:
        if isinstance(value, str):
            hint = " (YAML reads 1e-3 as text: write 1.0e-3)" if _looks_numeric(value) else ""
            raise ParamsError(f"{key}: expected a number {bound}, got the string {value!r}{hint}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParamsError(f"{key}: expected a number {bound}, got {value!r}")
        too_small = value <= minimum if exclusive else value < minimum
        if too_small or (maximum is not None and value >= maximum):
            raise ParamsError(f"{key}: expected a number {bound}, got {value}")
        return float(value)

    return check


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _choice(*options: str) -> Check:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise ParamsError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ParamsError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def _list_of(item: Check, *, unique: bool = False) -> Check:
    def check(key: str, value: Any) -> list:
        if not isinstance(value, list) or not value:
            raise ParamsError(f"{key}: expected a non-empty list, got {value!r}")
        items = [item(f"{key}[{i}]", v) for i, v in enumerate(value)]
        if unique and len(set(items)) != len(items):
            raise ParamsError(f"{key}: expected distinct values, got {value!r}")
        return items

    return check


SCHEMA: dict[str, dict[str, Check]] = {
    "download": {
        "mirrors": _list_of(_text),
        "timeout_seconds": _number(0, exclusive=True),
        "retries": _integer(minimum=0),
        "backoff_seconds": _number(0),
    },
    "parse": {
        "val_size": _integer(minimum=1),
        "seed": _integer(minimum=0),
    },
    "model": {
        "hidden": _list_of(_integer(minimum=1)),
        "init": _choice("kaiming_uniform", "kaiming_normal"),
    },
    "train": {
        "seeds": _list_of(_integer(minimum=0), unique=True),
        "epochs": _integer(minimum=1),
        "batch_size": _integer(minimum=1),
        "lr": _number(0, exclusive=True),
        "momentum": _number(0, maximum=1),
        "weight_decay": _number(0),
        "schedule": _choice("cosine", "step", "constant"),
        "lr_min": _number(0),
        "step_size": _integer(minimum=1),
        "gamma": _number(0, exclusive=True),
    },
    "train_numpy": {
        "threads": _integer(minimum=1),
    },
    "train_torch": {
        "device": _choice("auto", "cpu", "cuda"),
        "threads": _integer(minimum=1),
    },
    "evaluate": {
        "batch_size": _integer(minimum=1),
    },
    "report": {
        "misclassified_shown": _integer(minimum=0),
        "tie_sigmas": _number(0),
    },
}


def validate(raw: Any) -> dict[str, dict[str, Any]]:
    """Check `raw` (params.yaml as parsed) against SCHEMA; return it with numbers normalised."""
    if not isinstance(raw, dict):
        raise ParamsError(f"params.yaml: expected a mapping of sections, got {type(raw).__name__}")
    _refuse_unknown("", raw, SCHEMA)
    params: dict[str, dict[str, Any]] = {}
    for section, fields in SCHEMA.items():
        values = raw.get(section)
        if not isinstance(values, dict):
            raise ParamsError(f"{section}: missing section (expected keys {', '.join(fields)})")
        _refuse_unknown(f"{section}.", values, fields)
        params[section] = {}
        for name, check in fields.items():
            key = f"{section}.{name}"
            if name not in values:
                raise ParamsError(f"{key}: missing")
            params[section][name] = check(key, values[name])
    _check_across_sections(params)
    return params


def _refuse_unknown(prefix: str, values: dict, known: dict) -> None:
    for name in values:
        if name not in known:
            raise ParamsError(f"{prefix}{name}: unknown key (expected one of {', '.join(known)})")


def _check_across_sections(params: dict[str, dict[str, Any]]) -> None:
    if params["parse"]["val_size"] >= MNIST_TRAIN_COUNT:
        raise ParamsError(
            f"parse.val_size: expected fewer than the {MNIST_TRAIN_COUNT} training images, "
            f"got {params['parse']['val_size']}"
        )
    if params["train"]["lr_min"] > params["train"]["lr"]:
        raise ParamsError(
            f"train.lr_min: expected at most train.lr ({params['train']['lr']}), got {params['train']['lr_min']}"
        )


def load_params(path: str | Path = "params.yaml") -> dict[str, dict[str, Any]]:
    """Read and validate params.yaml; raise ParamsError naming the file or key on any fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(f"{path}: cannot read ({error.strerror})") from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from error
    return validate(raw)
