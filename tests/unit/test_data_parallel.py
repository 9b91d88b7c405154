"""A NumPy network split over shards of the batch (DataParallel): the same gradients as one pass, checked
against central differences and against torch, and numbers that do not depend on how many threads run the shards."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import cnn, mlp, numpy_nn
from mnist_numpy_vs_torch.nn import batchnorm
from mnist_numpy_vs_torch.nn.parallel import DataParallel, data_parallel, shard_bounds
from mnist_numpy_vs_torch.training import batches, numpy_steps
from tests.gradcheck import FAIL, PASS, network_errors
from tests.networks import SMALL, float64_cnn
from tests.project import PARAMS


def batch(n: int = 5, seed: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 784)), rng.integers(0, 10, n)


def gradients(network: nn.Sequential, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    loss = nn.CrossEntropyLoss()
    network.train()
    loss.forward(network.forward(x), y)
    network.backward(loss.backward())
    return [g.copy() for g in network.gradients()]


def test_shards_are_consecutive_nearly_equal_and_never_empty() -> None:
    assert shard_bounds(128, 2) == [(0, 64), (64, 128)]
    assert shard_bounds(5, 2) == [(0, 2), (2, 5)]
    assert shard_bounds(1, 3) == [(0, 1)]


def test_only_the_convolutional_part_is_split_and_it_keeps_the_networks_layers_and_weights() -> None:
    network = float64_cnn()
    split = data_parallel(network, shards=2, threads=2)
    parallel, *rest = split
    assert isinstance(parallel, DataParallel)
    assert [type(layer).__name__ for layer in parallel.module] == [
        "Unflatten", "Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU",
    ]  # fmt: skip
    assert rest == network.layers[len(parallel.module) :]
    twin = parallel.replicas[1][1]
    assert twin.weight is network[1].weight and twin.weight_grad is not network[1].weight_grad
    mlp_network = numpy_nn.build(mlp.spec(PARAMS.mlp))
    assert data_parallel(mlp_network, shards=2, threads=2) is mlp_network  # no convolutions: not split


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_normalisation_through_the_shards_uses_the_whole_batchs_statistics(threads: int) -> None:
    """The shards' sums are added before each normalisation and each input gradient (synchronised batch
    normalisation): the same outputs, gradients and running statistics as one pass, up to the order of the sums."""
    section = dataclasses.replace(SMALL, batch_norm=True)
    x, y = batch(n=9)
    whole, split = (float64_cnn(section=section) for _ in range(2))
    expected = gradients(whole, x, y)
    got = gradients(data_parallel(split, shards=3, threads=threads), x, y)
    assert all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(expected, got))
    for name, value in whole.state_dict().items():
        assert np.allclose(split.state_dict()[name], value, rtol=1e-12, atol=1e-14), name
    split = data_parallel(float64_cnn(section=section), shards=2, threads=threads)
    errors = network_errors(split, *batch(), zero=biases_before_normalisation(split))
    assert max(errors.values()) < PASS, errors


def biases_before_normalisation(network: nn.Sequential) -> tuple[str, ...]:
    """The biases that batch normalisation subtracts again, by their names in `network`."""
    layers = network[0].module.layers + network.layers[1:]
    offset = len(network[0].module)
    followed = [i for i, layer in enumerate(layers[:-1]) if isinstance(layers[i + 1], batchnorm._BatchNorm)]
    return tuple(f"0.{i}.bias" if i < offset else f"{i - offset + 1}.bias" for i in followed)


@pytest.mark.parametrize("threads", [1, 2])
def test_every_gradient_through_the_shards_matches_central_differences(threads: int) -> None:
    # 5 samples: shards of 2 and 3, so that the split's bookkeeping is checked on unequal parts
    errors = network_errors(data_parallel(float64_cnn(), shards=2, threads=threads), *batch())
    assert len(errors) == 8 and max(errors.values()) < PASS, errors


def test_the_split_gives_the_gradients_of_one_pass_up_to_the_order_of_the_sums() -> None:
    x, y = batch(n=9)
    whole = gradients(float64_cnn(), x, y)
    split = gradients(data_parallel(float64_cnn(), shards=3, threads=2), x, y)
    # float64: each weight gradient is the same terms summed in three parts, ~1e-16 relative apart
    assert all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(whole, split))


def test_a_split_that_keeps_only_the_first_shards_gradient_fails_the_gradient_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DataParallel, "_reduce_gradients", lambda self: None)  # the first shard's alone
    errors = network_errors(data_parallel(float64_cnn(), shards=2, threads=1), *batch())
    assert errors["0.1.weight"] > FAIL, errors  # named through the split: layer 0 (the DataParallel), its layer 1


def test_the_numbers_do_not_depend_on_the_threads_that_run_the_shards(prepared_dir: Path) -> None:
    """Shards are fixed by params.yaml, threads by the machine: one thread or two, the same bits."""
    data = dataset.load_inputs(prepared_dir, "train")
    order = batches.epoch_order(len(data), seed=0, epoch=0)[: 12 * PARAMS.cnn.batch_size]
    results = []
    for threads in (1, 2):
        network = numpy_steps.network(cnn.ARCHITECTURE, PARAMS.cnn, seed=0)
        steps = numpy_steps.trainer(network, PARAMS.cnn, shards=2, threads=threads)
        losses = steps.train_epoch(data.x, data.y, order, PARAMS.cnn.batch_size, np.full(12, 0.05))
        results.append((losses, network.state_dict(), steps.evaluate(data.x[:700], data.y[:700])))
    (losses_1, state_1, scores_1), (losses_2, state_2, scores_2) = results
    assert np.array_equal(losses_1, losses_2) and scores_1 == scores_2
    assert all(np.array_equal(state_1[name], state_2[name]) for name in state_1)


def test_statistics_loaded_after_the_split_reach_every_shard() -> None:
    section = dataclasses.replace(SMALL, batch_norm=True)
    network, other = float64_cnn(section=section), float64_cnn(seed=5, section=section)
    split = data_parallel(network, shards=2, threads=1)
    gradients(other, *batch(n=6))  # a training step's statistics, different from the split network's
    network.load_state_dict(other.state_dict())
    x, _ = batch(n=6)
    assert np.allclose(split.eval().forward(x), other.eval().forward(x), rtol=1e-12, atol=1e-14)


def test_evaluation_through_the_shards_is_evaluation_of_the_network() -> None:
    network, (x, y) = float64_cnn(), batch(n=11)
    expected = numpy_nn.evaluate(network, x, y, batch_size=4)
    split = data_parallel(network, shards=2, threads=2)
    assert numpy_nn.evaluate(split, x, y, batch_size=4) == pytest.approx(expected, rel=1e-12)
    assert not any(layer.training for replica in split[0].replicas for layer in replica)
