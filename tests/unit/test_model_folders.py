"""A trained model is named in one place (models/folders.py): its key in the predictions file, its seed's name in
metrics/*.json and its files keep the names the pipeline has always written; the stages group model
folders in one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.folders import (
    ModelId,
    group_folders,
    log_path,
    model_dir,
    model_path,
    read_runs,
    seed_name,
    trained_seeds,
)


def test_a_model_keeps_the_names_the_pipeline_files_already_hold() -> None:
    model = ModelId("cnn", "torch", 7)
    assert (model.key, model.seed_name, seed_name(7)) == ("cnn_torch_seed-7", "seed-7", "seed-7")
    folder = model_dir("models", "cnn", "torch")
    assert folder == Path("models/cnn/torch") and model_path(folder, "torch", 7) == Path("models/cnn/torch/seed-7.pt")
    assert model_path("models/mlp/numpy", "numpy", 0) == Path("models/mlp/numpy/seed-0.npz")
    assert log_path(folder, 7) == Path("models/cnn/torch/seed-7.tsv")


def test_models_are_equal_by_what_they_are_so_they_key_a_dict() -> None:
    predictions = {ModelId("mlp", "numpy", 1): "one"}
    assert predictions[ModelId("mlp", "numpy", 1)] == "one" and ModelId("mlp", "torch", 1) not in predictions


def test_a_folders_seeds_are_read_from_the_weights_it_holds(tmp_path: Path) -> None:
    for seed in (10, 2):
        weights = model_path(tmp_path / "mlp" / "numpy", "numpy", seed)
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_bytes(b"")
    assert trained_seeds(tmp_path / "mlp" / "numpy", "numpy") == [2, 10]


def test_model_folders_group_by_architecture_in_the_order_given_with_numpy_first() -> None:
    given = ["models/cnn/torch", "models/mlp/numpy", "models/cnn/numpy", "models/mlp/torch"]
    folders = group_folders(Path(folder) for folder in given)
    assert list(folders) == ["cnn", "mlp"]
    assert folders["cnn"] == {"numpy": Path("models/cnn/numpy"), "torch": Path("models/cnn/torch")}
    assert list(folders["mlp"]) == ["numpy", "torch"]


def test_an_architecture_given_without_a_framework_is_one_line_naming_the_folder_to_add() -> None:
    with pytest.raises(PipelineError, match=r"^no torch folder of cnn among the model folders: pass models/cnn/torch"):
        group_folders([Path("models/cnn/numpy"), Path("models/mlp/numpy"), Path("models/mlp/torch")])


def test_each_folders_run_is_read_back_by_architecture_and_framework(tmp_path: Path) -> None:
    for framework, blas in (("numpy", "openblas"), ("torch", "MKL")):
        (tmp_path / "mlp" / framework).mkdir(parents=True)
        (tmp_path / "mlp" / framework / "run.json").write_text(f'{{"blas": "{blas}"}}')
    runs = read_runs(group_folders([tmp_path / "mlp" / "torch", tmp_path / "mlp" / "numpy"]))
    assert runs == {"mlp": {"numpy": {"blas": "openblas"}, "torch": {"blas": "MKL"}}}
