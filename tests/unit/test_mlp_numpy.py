"""The NumPy MLP: its gradients are the true gradients, it starts at chance, it learns, and it is deterministic."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import ModelFileError, TrainingDiverged
from mnist_numpy_vs_torch.models.mlp import initial_weights
from mnist_numpy_vs_torch.models.mlp_numpy import Backprop, NumpyMLP
from mnist_numpy_vs_torch.models.numpy_common import cross_entropy, evaluate, softmax
from mnist_numpy_vs_torch.models.numpy_optim import SGD
from mnist_numpy_vs_torch.training import batches, loop
from mnist_numpy_vs_torch.training.numpy_steps import NumpySteps
from tests.conftest import PARAMS


def float64_network(sizes: list[int], seed: int = 0) -> NumpyMLP:
    rng = np.random.default_rng(seed)
    return NumpyMLP([(rng.normal(0, 0.5, (a, b)), rng.normal(0, 0.1, b)) for a, b in itertools.pairwise(sizes)])


def numpy_steps(model: NumpyMLP, batch_size: int, momentum: float, weight_decay: float) -> NumpySteps:
    """The training stage's steps for `model`: its backward pass and SGD."""
    optimizer = SGD(*model.parameters(), momentum=momentum, weight_decay=weight_decay)
    weights = model.weights[0]
    return NumpySteps(Backprop(model, batch_size), optimizer, batch_size, weights.shape[0], weights.dtype)


def mean_loss(model: NumpyMLP, x: np.ndarray, y: np.ndarray) -> float:
    return float(cross_entropy(model.logits(x), y).mean())


def test_gradients_match_central_finite_differences_in_float64() -> None:
    rng = np.random.default_rng(1)
    model = float64_network([6, 5, 4, 10])
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 10, 7)
    backprop = Backprop(model, batch_size=7)
    backprop(x, y)
    eps = 1e-6
    for params, grads in ((model.weights, backprop.grad_weights), (model.biases, backprop.grad_biases)):
        for param, analytic in zip(params, grads):
            numeric = np.zeros_like(param)
            for i in np.ndindex(param.shape):
                saved = param[i]
                param[i] = saved + eps
                plus = mean_loss(model, x, y)
                param[i] = saved - eps
                minus = mean_loss(model, x, y)
                param[i] = saved
                numeric[i] = (plus - minus) / (2 * eps)
            relative = np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-12)
            assert relative < 1e-6


def test_loss_is_returned_as_computed_not_rescaled() -> None:
    rng = np.random.default_rng(2)
    model = float64_network([6, 8, 10])
    x, y = rng.normal(size=(5, 6)), rng.integers(0, 10, 5)
    reported = Backprop(model, 5)(x, y)
    assert reported == pytest.approx(mean_loss(model, x, y), rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    assert cross_entropy(logits, np.array([0, 2])) == pytest.approx([0.0, math.log(3)])


def test_softmax_rows_are_probabilities_even_for_huge_logits() -> None:
    probabilities = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    assert probabilities == pytest.approx(np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]))


def test_fresh_network_on_a_balanced_batch_starts_near_ln10(prepared_dir: Path) -> None:
    data = dataset.load_inputs(prepared_dir, "train")
    balanced = np.concatenate([np.flatnonzero(data.y == k)[:50] for k in range(10)])
    model = NumpyMLP(initial_weights([512], "kaiming_uniform", seed=0))
    loss = mean_loss(model, data.x[balanced], data.y[balanced])
    assert abs(loss - math.log(10)) < 0.05


def short_run(data: dataset.Inputs, seed: int, steps: int = 300, batch_size: int = 64) -> NumpyMLP:
    model = NumpyMLP(initial_weights([128], "kaiming_uniform", seed))
    trainer = numpy_steps(model, batch_size, momentum=0.9, weight_decay=5e-4)
    order = batches.epoch_order(len(data.y), seed, epoch=0)[: steps * batch_size]
    trainer.train_epoch(data.x, data.y, order, batch_size, np.full(steps, 0.05))
    return model


def test_a_few_hundred_steps_learn_real_digits(prepared_dir: Path) -> None:
    data, val = dataset.load_inputs(prepared_dir, "train"), dataset.load_inputs(prepared_dir, "val")
    before = evaluate(NumpyMLP(initial_weights([128], "kaiming_uniform", 0)).logits, val.x, val.y)
    after = evaluate(short_run(data, seed=0).logits, val.x, val.y)
    assert after[0] < before[0] / 5
    assert after[1] > 0.90


def test_same_seed_gives_bit_identical_weights(prepared_dir: Path) -> None:
    data = dataset.load_inputs(prepared_dir, "train")
    first, second, other = short_run(data, 3, steps=40), short_run(data, 3, steps=40), short_run(data, 4, steps=40)
    for a, b in zip(first.weights + first.biases, second.weights + second.biases):
        assert a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(first.weights[0], other.weights[0])


def test_saved_weights_load_back_without_pickle(tmp_path: Path) -> None:
    model = NumpyMLP(initial_weights([16, 8], "kaiming_normal", seed=5))
    model.save(tmp_path / "model.npz")
    loaded = NumpyMLP.load(tmp_path / "model.npz")
    assert all(np.array_equal(a, b) for a, b in zip(model.weights + model.biases, loaded.weights + loaded.biases))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "pickled"])
def test_a_damaged_model_file_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "model.npz"
    NumpyMLP(initial_weights([16], "kaiming_uniform", 0)).save(path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-500])
    elif damage == "garbage":
        path.write_bytes(b"not a model at all")
    else:
        np.savez(path, weight_0=np.array([object()], dtype=object), bias_0=np.zeros(1))
    with pytest.raises(ModelFileError, match=f"{path}: not a readable NumPy model"):
        NumpyMLP.load(path)


def test_divergence_stops_with_framework_epoch_and_step(prepared_dir: Path) -> None:
    data, val = dataset.load_inputs(prepared_dir, "train"), dataset.load_inputs(prepared_dir, "val")
    images = dataset.load_split(prepared_dir, "train").images
    model = NumpyMLP(initial_weights([32], "kaiming_uniform", 0))
    trainer = numpy_steps(model, 256, momentum=0.9, weight_decay=0.0)
    recipe = dataclasses.replace(PARAMS.mlp, epochs=1, batch_size=256, lr=1.0e4, schedule="constant")
    with pytest.raises(
        TrainingDiverged, match=r"mlp numpy training diverged \(seed 0\): loss is nan at epoch 1, step \d+"
    ):
        loop.fit(
            "mlp numpy",
            lambda x, order, lrs: trainer.train_epoch(x, data.y, order, 256, lrs),
            lambda: evaluate(model.logits, val.x, val.y),
            inputs=loop.EpochInputs(images, dataset.load_normaliser(prepared_dir), max_shift=0),
            recipe=recipe,
            seed=0,
        )
