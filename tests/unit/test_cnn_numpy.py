"""The NumPy CNN, as its layers make it up: every parameter's gradient against central differences in float64
(tests/gradcheck.py), and mutants of the pooling route and the window bookkeeping that the check catches."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.models import cnn
from mnist_numpy_vs_torch.models.spec import parameter_count
from mnist_numpy_vs_torch.nn import conv, pooling
from mnist_numpy_vs_torch.nn.loss import cross_entropy
from tests.gradcheck import FAIL, PASS, HeldStill, network_errors
from tests.mutants import route_to_top_left, shifted_windows
from tests.networks import SMALL, float64_cnn
from tests.project import PARAMS


def batch(seed: int = 14, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 784)), rng.integers(0, 10, n)


def test_every_gradient_matches_central_differences_in_float64() -> None:
    errors = network_errors(float64_cnn(), *batch())
    assert len(errors) == 8 and max(errors.values()) < PASS, errors


def test_with_batch_normalisation_and_dropout_every_gradient_matches_central_differences() -> None:
    """BatchNorm2d after each convolution, BatchNorm1d after the hidden layer, Dropout before each Linear (its masks
    held still); the biases batch normalisation subtracts again have no gradient, and the check says so."""
    section = dataclasses.replace(SMALL, batch_norm=True, dropout=0.3)
    network = float64_cnn(section=section)
    for layer in network:
        if isinstance(layer, nn.Dropout):
            layer.generator = HeldStill(seed=9)
    before = tuple(f"{i}.bias" for i, layer in enumerate(network.layers[:-1]) if "BatchNorm" in repr(network[i + 1]))
    errors = network_errors(network, *batch(n=6), zero=before)
    assert len(before) == 3 and len(errors) == 14 and max(errors.values()) < PASS, errors


def test_the_loss_a_step_reports_is_the_mean_cross_entropy_of_the_logits() -> None:
    network, (x, y) = float64_cnn(), batch()
    reported = nn.CrossEntropyLoss().forward(network.train().forward(x), y)
    assert reported == pytest.approx(cross_entropy(network.eval().forward(x), y).mean(), rel=1e-12)


@pytest.mark.parametrize(
    "module, function, mutant", [(pooling, "max_pool_backward", route_to_top_left), (conv, "col2im", shifted_windows)]
)
def test_a_mutant_fails_the_gradient_check(monkeypatch: pytest.MonkeyPatch, module, function: str, mutant) -> None:
    monkeypatch.setattr(module, function, mutant)
    errors = network_errors(float64_cnn(), *batch())
    assert errors["1.weight"] > FAIL, errors  # the first convolution's kernels, which every later route feeds


def test_evaluation_in_chunks_gives_the_logits_of_one_pass() -> None:
    network, rng = float64_cnn(), np.random.default_rng(5)
    x = rng.normal(size=(conv.INFERENCE_CHUNK + 3, 784))
    chunked = network.eval().forward(x)
    whole = network.train().forward(x)
    # float64: the two passes may sum in other BLAS blocks, each off by ~1e-16 of ~400 terms of size ~1
    assert np.allclose(chunked, whole, rtol=1e-12, atol=1e-12)


def test_the_default_layers_are_the_registered_architecture() -> None:
    spec = cnn.spec(PARAMS.cnn)
    assert [layer[0] for layer in spec] == [
        "Unflatten", "Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU", "Flatten", "Dropout", "Linear",
    ]  # fmt: skip
    assert cnn.shape_of(PARAMS.cnn).sides() == [28, 12, 4] and spec[-1] == ("Linear", 512, 10)
    assert parameter_count(spec) == 16 * 25 + 16 + 32 * 16 * 25 + 32 + 512 * 10 + 10
