"""The NumPy MLP: its gradients are the true gradients, it starts at chance, it learns, and it is deterministic."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import TrainingDiverged
from mnist_numpy_vs_torch.models import mlp, numpy_nn
from mnist_numpy_vs_torch.nn.loss import cross_entropy, softmax
from mnist_numpy_vs_torch.params import MLPParams
from mnist_numpy_vs_torch.training import batches, loop, numpy_steps
from tests.gradcheck import PASS, network_errors
from tests.project import PARAMS


def recipe(**changes: object) -> MLPParams:
    return dataclasses.replace(PARAMS.mlp, **changes)


def float64_network(hidden: tuple[int, ...], input_size: int, seed: int = 0) -> nn.Sequential:
    """The MLP's layers, on inputs small enough to differentiate numerically, with random float64 weights."""
    spec = [("Linear", input_size, *mlp.spec(recipe(hidden=hidden))[0][2:]), *mlp.spec(recipe(hidden=hidden))[1:]]
    network = numpy_nn.build(spec)
    rng = np.random.default_rng(seed)
    return network.load_state_dict({n: rng.normal(0, 0.5, v.shape) for n, v in network.state_dict().items()})


def test_gradients_match_central_finite_differences_in_float64() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 10, 7)
    errors = network_errors(float64_network((5, 4), input_size=6), x, y)
    assert len(errors) == 6 and max(errors.values()) < PASS, errors


def test_loss_is_returned_as_computed_not_rescaled() -> None:
    rng = np.random.default_rng(2)
    network = float64_network((8,), input_size=6)
    x, y = rng.normal(size=(5, 6)), rng.integers(0, 10, 5)
    reported = nn.CrossEntropyLoss().forward(network.train().forward(x), y)
    assert reported == pytest.approx(float(cross_entropy(network.eval().forward(x), y).mean()), rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    assert cross_entropy(logits, np.array([0, 2])) == pytest.approx([0.0, math.log(3)])


def test_softmax_rows_are_probabilities_even_for_huge_logits() -> None:
    probabilities = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    assert probabilities == pytest.approx(np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]))


def test_fresh_network_on_a_balanced_batch_starts_near_ln10(prepared_dir: Path) -> None:
    data = dataset.load_inputs(prepared_dir, "train")
    balanced = np.concatenate([np.flatnonzero(data.y == k)[:50] for k in range(10)])
    network = numpy_steps.network(mlp.ARCHITECTURE, PARAMS.mlp, seed=0).eval()
    loss = float(cross_entropy(network.forward(data.x[balanced]), data.y[balanced]).mean())
    assert abs(loss - math.log(10)) < 0.05


def short_run(data: dataset.Inputs, seed: int, steps: int = 300, batch_size: int = 64) -> nn.Sequential:
    """`steps` steps of the training stage's trainer, at a constant 0.05, of a 784-128-10 MLP."""
    section = recipe(hidden=(128,), batch_size=batch_size)
    network = numpy_steps.network(mlp.ARCHITECTURE, section, seed)
    order = batches.epoch_order(len(data.y), seed, epoch=0)[: steps * batch_size]
    numpy_steps.trainer(network, section).train_epoch(data.x, data.y, order, batch_size, np.full(steps, 0.05))
    return network


def test_a_few_hundred_steps_learn_real_digits(prepared_dir: Path) -> None:
    data, val = dataset.load_inputs(prepared_dir, "train"), dataset.load_inputs(prepared_dir, "val")
    fresh = numpy_steps.network(mlp.ARCHITECTURE, recipe(hidden=(128,)), seed=0)
    before = numpy_nn.evaluate(fresh, val.x, val.y)
    after = numpy_nn.evaluate(short_run(data, seed=0), val.x, val.y)
    assert after[0] < before[0] / 5
    assert after[1] > 0.90


def test_same_seed_gives_bit_identical_weights(prepared_dir: Path) -> None:
    data = dataset.load_inputs(prepared_dir, "train")
    first, second, other = (short_run(data, seed, steps=40).state_dict() for seed in (3, 3, 4))
    for name, value in first.items():
        assert value.dtype == np.float32 and np.array_equal(value, second[name])
    assert not np.array_equal(first["0.weight"], other["0.weight"])


def test_divergence_stops_with_framework_epoch_and_step(prepared_dir: Path) -> None:
    data, val = dataset.load_inputs(prepared_dir, "train"), dataset.load_inputs(prepared_dir, "val")
    images = dataset.load_split(prepared_dir, "train").images
    section = recipe(hidden=(32,), epochs=1, batch_size=256, lr=1.0e4, schedule="constant", weight_decay=0.0)
    network = numpy_steps.network(mlp.ARCHITECTURE, section, seed=0)
    trainer = numpy_steps.trainer(network, section)
    with pytest.raises(
        TrainingDiverged, match=r"mlp numpy training diverged \(seed 0\): loss is nan at epoch 1, step \d+"
    ):
        loop.fit(
            "mlp numpy",
            lambda x, order, lrs: trainer.train_epoch(x, data.y, order, 256, lrs),
            lambda: numpy_nn.evaluate(network, val.x, val.y),
            inputs=loop.EpochInputs(images, dataset.load_normaliser(prepared_dir), max_shift=0),
            recipe=section,
            seed=0,
        )


def test_loading_a_state_copies_into_the_arrays_the_optimiser_updates(prepared_dir: Path) -> None:
    """As torch's load_state_dict: a trainer made before the load trains the loaded weights, not the old ones."""
    data = dataset.load_inputs(prepared_dir, "train")
    section = recipe(hidden=(32,))
    network = numpy_steps.network(mlp.ARCHITECTURE, section, seed=0)
    trainer = numpy_steps.trainer(network, section)
    loaded = numpy_steps.network(mlp.ARCHITECTURE, section, seed=1).state_dict()
    network.load_state_dict(loaded)
    assert all(np.array_equal(network.state_dict()[name], value) for name, value in loaded.items())
    trainer.train_epoch(data.x, data.y, batches.epoch_order(len(data.y), 0, 0)[:128], 128, np.full(1, 0.1))
    moved = network.state_dict()["0.weight"] - loaded["0.weight"]
    assert 0 < np.abs(moved).max() < 0.1, "one step from the loaded weights"
