"""params.yaml is validated before any work, with the key's full dotted name in every error."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stages.params import ParamsError, load_params, validate
from tests.conftest import ROOT

DEFAULTS = yaml.safe_load((ROOT / "params.yaml").read_text())


def changed(dotted: str, value: object) -> dict:
    params = copy.deepcopy(DEFAULTS)
    *sections, key = dotted.split(".")
    node = params
    for section in sections:
        node = node[section]
    node[key] = value
    return params


def test_the_committed_params_are_valid() -> None:
    params = load_params(ROOT / "params.yaml")
    assert params["train"]["lr"] > 0 and params["model"]["hidden"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("train.lr", "1e-3", r"train.lr: expected a number > 0, got the string '1e-3' \(YAML reads 1e-3 as text"),
        ("train.lr", 0, "train.lr: expected a number > 0, got 0"),
        ("train.lr", -0.1, "train.lr: expected a number > 0, got -0.1"),
        ("train.epochs", 0, "train.epochs: expected an integer >= 1, got 0"),
        ("train.epochs", 2.5, "train.epochs: expected an integer, got 2.5"),
        ("train.batch_size", -8, "train.batch_size: expected an integer >= 1, got -8"),
        ("train.batch_size", True, "train.batch_size: expected an integer, got True"),
        ("train.momentum", 1.0, "train.momentum: expected a number >= 0 and < 1, got 1.0"),
        ("train.seeds", [], r"train.seeds: expected a non-empty list, got \[\]"),
        ("train.seeds", [1, 1], "train.seeds: expected distinct values"),
        ("train.schedule", "linear", "train.schedule: expected one of cosine, step, constant, got 'linear'"),
        ("model.hidden", [], r"model.hidden: expected a non-empty list, got \[\]"),
        ("model.hidden", [512, 0], r"model.hidden\[1\]: expected an integer >= 1, got 0"),
        ("parse.val_size", 60000, "parse.val_size: expected fewer than the 60000 training images"),
        ("train_torch.device", "tpu", "train_torch.device: expected one of auto, cpu, cuda"),
        ("train.learning_rate", 0.1, "train.learning_rate: unknown key"),
        ("trian", {}, "trian: unknown key"),
    ],
)
def test_bad_values_are_refused_with_the_dotted_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ParamsError) as error:
        validate(changed(key, value))
    assert re.match(message, str(error.value)), str(error.value)


def test_a_missing_key_is_named() -> None:
    params = copy.deepcopy(DEFAULTS)
    del params["train"]["momentum"]
    with pytest.raises(ParamsError, match="train.momentum: missing"):
        validate(params)


def test_every_stage_refuses_bad_params_before_work(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed("train.lr", "1e-3")))
    stages = [
        ("download", ["raw"]),
        ("parse", ["raw", "prep"]),
        ("train_numpy", ["prep", "models"]),
        ("train_torch", ["prep", "models"]),
        ("evaluate", ["prep", "models", "metrics", "predictions.npz"]),
        ("report", ["prep", "models", "metrics", "predictions.npz", "report"]),
    ]
    for stage, args in stages:
        result = subprocess.run(
            [sys.executable, "-m", f"stages.{stage}", *args], cwd=tmp_path, capture_output=True, text=True
        )
        assert result.returncode == 1, stage
        assert result.stderr.startswith("error: train.lr: expected a number > 0, got the string '1e-3'"), stage
        assert len(result.stderr.strip().splitlines()) == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(ParamsError, match=f"{path}: not valid YAML"):
        load_params(path)
