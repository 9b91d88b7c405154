"""Every saved network, NumPy's or torch's, in one format (models/model_file.py): its layer list and its state_dict,
read back without pickle; a damaged, foreign, mismatched or older file is one line naming the file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import numpy_nn, torch_nn
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.params import recipes
from mnist_numpy_vs_torch.training import batches, numpy_steps, torch_steps
from tests.project import PARAMS

SAVERS = {"numpy": (numpy_steps.network, numpy_nn.save, numpy_nn.load, "npz", "NumPy")}
SAVERS["torch"] = (torch_steps.network, torch_nn.save, torch_nn.load, "pt", "torch")


def state_of(network: object) -> dict[str, np.ndarray]:
    return network.state_dict() if isinstance(network, nn.Sequential) else torch_nn.state_arrays(network)


@pytest.mark.parametrize("framework", list(SAVERS))
@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_a_saved_network_loads_back_the_same_layers_and_weights(
    tmp_path: Path, framework: str, architecture: str
) -> None:
    build, save, load, suffix, _ = SAVERS[framework]
    network = build(ARCHITECTURES[architecture], recipes(PARAMS)[architecture], seed=3)
    save(network, tmp_path / f"model.{suffix}")
    loaded = load(tmp_path / f"model.{suffix}")
    assert repr(loaded) == repr(network)
    assert all(np.array_equal(state_of(loaded)[name], value) for name, value in state_of(network).items())


@pytest.mark.parametrize("framework", list(SAVERS))
def test_a_network_with_batch_normalisation_and_dropout_keeps_its_running_statistics(
    tmp_path: Path, framework: str
) -> None:
    """Saved after training steps, loaded back without pickle: the same running statistics and counts, so evaluation
    answers the same; and training mode still works once the masks are seeded."""
    build, save, load, suffix, _ = SAVERS[framework]
    recipe = dataclasses.replace(PARAMS.cnn, batch_norm=True, dropout=0.25, hidden=(8,), channels=(2, 3))
    network = build(ARCHITECTURES["cnn"], recipe, seed=2)
    x = np.random.default_rng(2).normal(size=(64, 784)).astype(np.float32)
    y = np.arange(64) % 10
    if framework == "numpy":
        numpy_steps.trainer(network, recipe).train_epoch(x, y, np.arange(64), 16, np.full(4, 0.05))
    else:
        torch_steps.trainer(network, recipe).train_epoch(
            torch.from_numpy(x), torch.from_numpy(y), np.arange(64), 16, np.full(4, 0.05)
        )
    save(network, tmp_path / f"model.{suffix}")
    loaded = load(tmp_path / f"model.{suffix}")
    state, again = state_of(network), state_of(loaded)
    assert [name for name in state if "running" in name or "tracked" in name] == [
        f"{i}.{buffer}" for i in (2, 6, 12) for buffer in ("running_mean", "running_var", "num_batches_tracked")
    ]
    assert all(np.array_equal(again[name], value) for name, value in state.items())
    assert int(again["2.num_batches_tracked"]) == 4 and not np.allclose(again["2.running_var"], 1)
    logits = {}
    for name, model in (("trained", network), ("loaded", loaded)):
        model.eval()
        logits[name] = model.forward(x) if framework == "numpy" else model(torch.from_numpy(x)).detach().numpy()
    assert np.array_equal(logits["trained"], logits["loaded"])
    batches.seed_masks(loaded, seed=2)
    loaded.train()
    assert (loaded.forward(x) if framework == "numpy" else loaded(torch.from_numpy(x))).shape == (64, 10)


def test_either_framework_reads_the_same_state_dict_names_and_layouts(tmp_path: Path) -> None:
    network = numpy_steps.network(ARCHITECTURES["cnn"], PARAMS.cnn, seed=1)
    numpy_nn.save(network, tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        saved = {name: archive[name] for name in archive.files if name != "spec"}
    twin = torch_nn.build(network.spec, saved)
    assert list(twin.state_dict()) == list(saved) and twin[1].weight.shape == (16, 1, 5, 5)


def small_network(framework: str) -> object:
    section = dataclasses.replace(PARAMS.mlp, hidden=(16,))
    return SAVERS[framework][0](ARCHITECTURES["mlp"], section, seed=0)


def damage(path: Path, how: str, framework: str) -> None:
    """Spoil a saved file of `framework` the way `how` says."""
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:-500])
    elif how == "garbage":
        path.write_bytes(b"not a model at all")
    elif how == "pickled" and framework == "numpy":
        np.savez(path, spec=np.array("[]"), payload=np.array([object()], dtype=object))
    elif how == "pickled":
        torch.save({"spec": "[]", "state_dict": {"0.weight": torch.zeros(1)}, "payload": object()}, path)
    elif how == "older" and framework == "numpy":  # what the trainers wrote before the layer library
        np.savez(path, weight_0=np.zeros((784, 16), np.float32), bias_0=np.zeros(16, np.float32))
    elif how == "older":
        torch.save({"0.weight": torch.zeros(16, 784), "0.bias": torch.zeros(16)}, path)


REFUSALS = {
    "truncated": "not a readable {framework} model",
    "garbage": "not a readable {framework} model",
    "pickled": "not a readable {framework} model",
    "older": r"no layer list in it \(.*written before the layer library\); run `dvc repro`",
}


@pytest.mark.parametrize("framework", list(SAVERS))
@pytest.mark.parametrize("how", list(REFUSALS))
def test_a_damaged_or_older_model_file_is_one_line_naming_the_file(tmp_path: Path, framework: str, how: str) -> None:
    _, save, load, suffix, label = SAVERS[framework]
    path = tmp_path / f"model.{suffix}"
    save(small_network(framework), path)
    damage(path, how, framework)
    with pytest.raises(ModelFileError, match=f"^{path}: {REFUSALS[how].format(framework=label)}") as refused:
        load(path)
    assert "\n" not in str(refused.value)


MISFITS = {  # a layer list saved with the 784-16-10 MLP's weights, and the line that refuses it
    "weights that do not fit": (
        [("Linear", 784, 8), ("ReLU", True), ("Linear", 8, 10)],
        r"its weights do not fit its layers \(0.weight is \(16, 784\), the layers need \(8, 784\)\)",
    ),
    "a layer not known here": (
        [("Dense", 784, 16), ("ReLU", True), ("Linear", 16, 10)],
        r"its layer list names a layer not known here \(.*Dense",
    ),
}


@pytest.mark.parametrize("framework", list(SAVERS))
@pytest.mark.parametrize("misfit", list(MISFITS))
def test_a_layer_list_its_weights_do_not_fit_is_named(tmp_path: Path, framework: str, misfit: str) -> None:
    _, save, load, suffix, _ = SAVERS[framework]
    path = tmp_path / f"model.{suffix}"
    network = small_network(framework)
    network.spec, refusal = MISFITS[misfit]
    save(network, path)
    with pytest.raises(ModelFileError, match=rf"^{path}: {refusal}"):
        load(path)


def test_the_layer_list_is_stored_as_json_a_person_can_read(tmp_path: Path) -> None:
    numpy_nn.save(small_network("numpy"), tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert json.loads(str(archive["spec"])) == [["Linear", 784, 16], ["ReLU", True], ["Linear", 16, 10]]
