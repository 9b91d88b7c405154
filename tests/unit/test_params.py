"""params.yaml is validated before any work, with the key's full dotted name in every error."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from mnist_numpy_vs_torch.params import ParamsError, declared_keys, for_stage, load_params, validate
from tests.project import ROOT, STAGES, changed, write_params

DEFAULTS = yaml.safe_load((ROOT / "params.yaml").read_text())


def test_the_committed_params_are_valid_and_typed() -> None:
    params = load_params(ROOT / "params.yaml")
    assert params.mlp.lr > 0 and params.mlp.hidden and params.cnn.seeds >= 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.mlp.lr = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("mlp.lr", "1e-3", r"mlp.lr: expected a number > 0, got the string '1e-3' \(YAML reads 1e-3 as text"),
        ("mlp.lr", 0, "mlp.lr: expected a number > 0, got 0"),
        ("mlp.lr", -0.1, "mlp.lr: expected a number > 0, got -0.1"),
        ("mlp.epochs", 0, "mlp.epochs: expected an integer >= 1, got 0"),
        ("mlp.epochs", 2.5, "mlp.epochs: expected an integer, got 2.5"),
        ("mlp.batch_size", -8, "mlp.batch_size: expected an integer >= 1, got -8"),
        ("mlp.batch_size", True, "mlp.batch_size: expected an integer, got True"),
        ("mlp.momentum", 1.0, "mlp.momentum: expected a number >= 0 and < 1, got 1.0"),
        ("cnn.optimizer", "Adam", "cnn.optimizer: expected one of sgd, adam, adamw, got 'Adam'"),
        ("cnn.batch_norm", "yes", "cnn.batch_norm: expected true or false, got 'yes'"),
        ("cnn.batch_norm", 1, "cnn.batch_norm: expected true or false, got 1"),
        ("cnn.dropout", 1.0, "cnn.dropout: expected a number >= 0 and < 1, got 1.0"),
        ("mlp.dropout", -0.1, "mlp.dropout: expected a number >= 0 and < 1, got -0.1"),
        ("mlp.betas", [0.9], r"mlp.betas: expected a list of 2 values, got \[0.9\]"),
        ("mlp.betas", [0.9, 1.0], r"mlp.betas\[1\]: expected a number >= 0 and < 1, got 1.0"),
        ("cnn.eps", 0.0, "cnn.eps: expected a number > 0, got 0.0"),
        ("cnn.eps", "1e-8", r"cnn.eps: expected a number > 0, got the string '1e-8' \(YAML reads"),
        ("mlp.seeds", 0, "mlp.seeds: expected an integer >= 1, got 0"),
        ("cnn.seeds", [0, 1], r"cnn.seeds: expected an integer, got \[0, 1\]"),
        ("mlp.schedule", "linear", "mlp.schedule: expected one of cosine, step, constant, got 'linear'"),
        ("mlp.hidden", [], r"mlp.hidden: expected a non-empty list, got \[\]"),
        ("mlp.hidden", [512, 0], r"mlp.hidden\[1\]: expected an integer >= 1, got 0"),
        ("parse.val_size", 60000, "parse.val_size: expected fewer than the 60000 training images"),
        ("parse.train_size", 0, "parse.train_size: expected an integer >= 1 or all, got 0"),
        ("parse.train_size", "half", "parse.train_size: expected an integer >= 1 or all, got 'half'"),
        ("parse.train_size", 55001, "parse.train_size: expected at most the 55000 training images left after"),
        ("train_torch.device", "tpu", "train_torch.device: expected one of auto, cpu, cuda"),
        ("mlp.learning_rate", 0.1, "mlp.learning_rate: unknown key"),
        ("trian", {}, "trian: unknown key"),
    ],
)
def test_bad_values_are_refused_with_the_dotted_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ParamsError) as error:
        validate(changed(key, value))
    assert re.match(message, str(error.value)), str(error.value)


def test_a_missing_key_is_named() -> None:
    params = copy.deepcopy(DEFAULTS)
    del params["mlp"]["momentum"]
    with pytest.raises(ParamsError, match="mlp.momentum: missing"):
        validate(params)


def test_a_stage_gets_only_the_keys_its_dvc_yaml_entry_declares(tmp_path: Path) -> None:
    write_params(tmp_path)
    evaluate = for_stage("evaluate", tmp_path / "params.yaml")
    assert evaluate.cnn.seeds == DEFAULTS["cnn"]["seeds"]  # declared as cnn.seeds
    assert evaluate.evaluate.batch_size == DEFAULTS["evaluate"]["batch_size"]  # the whole section is declared
    with pytest.raises(ParamsError, match=r"^cnn\.epochs: stage evaluate reads it but dvc\.yaml does not list it"):
        _ = evaluate.cnn.epochs
    with pytest.raises(ParamsError, match=r"^download: stage evaluate reads this section but dvc\.yaml does not"):
        _ = evaluate.download
    report = for_stage("report", tmp_path / "params.yaml")
    assert report.parse.val_size == DEFAULTS["parse"]["val_size"]
    with pytest.raises(ParamsError, match=r"^parse\.seed: stage report reads it"):
        _ = report.parse.seed


def test_each_stage_reads_what_its_dvc_yaml_entry_declares(tmp_path: Path) -> None:
    """The declared keys exist, and a stage the file does not know is a one-line error naming dvc.yaml."""
    write_params(tmp_path)
    for stage in STAGES:
        assert declared_keys(stage, tmp_path / "dvc.yaml") == STAGES[stage].params  # as DVC resolves them
        assert STAGES[stage].params or stage == "plots_page"  # the one that reads no key
        for_stage(stage, tmp_path / "params.yaml")  # every declared key is a real key
    with pytest.raises(ParamsError, match=r"dvc\.yaml: cannot read the params of stage 'training'"):
        for_stage("training", tmp_path / "params.yaml")


def test_a_declared_key_that_params_yaml_lacks_is_refused(tmp_path: Path) -> None:
    write_params(tmp_path)
    dvc_yaml = yaml.safe_load((tmp_path / "dvc.yaml").read_text())
    dvc_yaml["stages"]["evaluate"]["params"].append("mlp.learning_rate")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml))
    with pytest.raises(ParamsError, match=r"stage evaluate declares mlp\.learning_rate, which is not a key"):
        for_stage("evaluate", tmp_path / "params.yaml")


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(ParamsError, match=f"{path}: not valid YAML"):
        load_params(path)


def test_a_training_stage_sees_its_own_architecture_and_framework_only(tmp_path: Path) -> None:
    write_params(tmp_path)
    numpy_mlp = for_stage("train_numpy@mlp", tmp_path / "params.yaml")
    assert numpy_mlp.mlp.lr == DEFAULTS["mlp"]["lr"] and numpy_mlp.mlp.seeds == DEFAULTS["mlp"]["seeds"]
    with pytest.raises(ParamsError, match=r"^train_torch: stage train_numpy@mlp reads this section"):
        _ = numpy_mlp.train_torch
