"""Each NumPy layer alone computes what its equations say: every entry of every parameter's gradient and of the
input gradient against central differences in float64 (tests/gradcheck.py), and one plausible mistake per layer that
the same check catches. Each also prints as its torch.nn twin does."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.nn import batchnorm, conv, pooling
from tests.gradcheck import FAIL, PASS, HeldStill, layer_errors, numeric_gradient, relative_error
from tests.mutants import route_to_top_left, shifted_windows, through_the_statistics_forgotten


def with_parameters(layer: nn.Module, seed: int) -> nn.Module:
    """The layer with random float64 weights and (non-zero) biases, so that every gradient has something to say."""
    rng = np.random.default_rng(seed)
    (_, weight, _), (_, bias, _) = layer.named_parameters()
    layer.set_parameters(rng.normal(0, 0.5, weight.shape), rng.normal(0.2, 0.1, bias.shape))
    return layer


# Each layer, a float64 input for it, and which of its gradients a mutant must spoil. Images are channels-last
# (B, H, W, C); the pool's side is odd, so that the row and column it drops are checked too.
CASES: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "Linear": (lambda: with_parameters(nn.Linear(5, 4), seed=1), (3, 5)),
    "Conv2d": (lambda: with_parameters(nn.Conv2d(2, 3, 3), seed=2), (2, 6, 7, 2)),
    "Conv2d, one input channel": (lambda: with_parameters(nn.Conv2d(1, 3, 3), seed=3), (2, 6, 7, 1)),
    "ReLU": (nn.ReLU, (3, 7)),
    "ReLU(inplace=True)": (lambda: nn.ReLU(inplace=True), (3, 7)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 5, 5, 3)),
    "BatchNorm1d": (lambda: with_parameters(nn.BatchNorm1d(4), seed=5), (6, 4)),
    "BatchNorm2d": (lambda: with_parameters(nn.BatchNorm2d(3), seed=6), (2, 4, 5, 3)),
    "Dropout": (lambda: held_still(nn.Dropout(0.4)), (5, 7)),
    "Flatten": (nn.Flatten, (2, 3, 4, 2)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3, 4)), (2, 24)),
}


def held_still(layer: nn.Dropout) -> nn.Dropout:
    layer.generator = HeldStill(seed=8)
    return layer


def errors(name: str) -> dict[str, float]:
    make, shape = CASES[name]
    return layer_errors(make(), np.random.default_rng(7).normal(size=shape))


@pytest.mark.parametrize("name", list(CASES))
def test_every_gradient_of_a_layer_alone_matches_central_differences(name: str) -> None:
    found = errors(name)
    weighted = name.startswith(("Linear", "Conv2d", "BatchNorm"))
    assert set(found) == {"input"} | ({"weight", "bias"} if weighted else set())
    assert max(found.values()) < PASS, found


def test_the_loss_gradient_matches_central_differences() -> None:
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 10)), rng.integers(0, 10, 4)
    loss = nn.CrossEntropyLoss()
    loss.forward(logits, labels)
    analytic = loss.backward().copy()
    numeric = numeric_gradient(lambda: loss.forward(logits, labels), logits)
    assert relative_error(analytic, numeric) < PASS


def bias_gradient_averaged(original):
    def backward(self, dz):
        out = original(self, dz)
        self.bias_grad /= len(dz)  # the batch mean where the loss sums over the batch: a common slip
        return out

    return backward


def relu_mask_inverted(self, dr):
    return dr * (self.r <= 0)  # the gradient let through where the unit was off


def dropout_back_without_rescaling(self, dy):
    return dy * (self.mask > 0)  # the units kept, but not the 1 / (1 - p) the forward pass applied


def flatten_back_without_transpose(self, grad):
    return grad.reshape(self.shape)  # read back in (H, W, C) order what went out in (C, H, W) order


def unflatten_back_without_transpose(self, grad):
    return grad.reshape(len(grad), -1)  # channels-last gradient flattened as if it were (C, H, W)


# For each layer: what is replaced (a function of its module, or a method of its class), by what, and which gradient
# the gradient check then finds wrong.
MUTANTS = {
    "Linear": ((nn.Linear, "backward"), bias_gradient_averaged(nn.Linear.backward), "bias"),
    "Conv2d": ((conv, "col2im"), shifted_windows, "input"),
    "Conv2d, one input channel": ((conv, "col2im"), shifted_windows, "input"),
    "ReLU": ((nn.ReLU, "backward"), relu_mask_inverted, "input"),
    "ReLU(inplace=True)": ((nn.ReLU, "backward"), relu_mask_inverted, "input"),
    "MaxPool2d": ((pooling, "max_pool_backward"), route_to_top_left, "input"),
    "BatchNorm1d": ((batchnorm._BatchNorm, "backward"), through_the_statistics_forgotten, "input"),
    "BatchNorm2d": ((batchnorm._BatchNorm, "backward"), through_the_statistics_forgotten, "input"),
    "Dropout": ((nn.Dropout, "backward"), dropout_back_without_rescaling, "input"),
    "Flatten": ((nn.Flatten, "backward"), flatten_back_without_transpose, "input"),
    "Unflatten": ((nn.Unflatten, "backward"), unflatten_back_without_transpose, "input"),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_a_mutant_of_each_layer_fails_the_gradient_check(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    (owner, attribute), mutant, caught_in = MUTANTS[name]
    monkeypatch.setattr(owner, attribute, mutant)
    assert errors(name)[caught_in] > FAIL


def test_a_loss_that_forgets_the_batch_size_fails_the_gradient_check(monkeypatch: pytest.MonkeyPatch) -> None:
    original = nn.CrossEntropyLoss.backward
    monkeypatch.setattr(nn.CrossEntropyLoss, "backward", lambda self, g=None: original(self) * len(self.labels))
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 10)), rng.integers(0, 10, 4)
    loss = nn.CrossEntropyLoss()
    loss.forward(logits, labels)
    analytic = loss.backward().copy()
    assert relative_error(analytic, numeric_gradient(lambda: loss.forward(logits, labels), logits)) > FAIL


def test_pooling_ties_go_to_the_first_position_as_torch_routes_them() -> None:
    pool = nn.MaxPool2d(2)
    pool.forward(np.array([[[[1.0], [1.0]], [[0.5], [1.0]]]]))  # one 2x2 window, three equal maxima
    dr = pool.backward(np.array([[[[7.0]]]]))
    assert dr[0, :, :, 0].tolist() == [[7.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    ("numpy_layer", "torch_layer"),
    [
        (nn.Linear(512, 10), torch.nn.Linear(512, 10)),
        (nn.Conv2d(16, 32, 5), torch.nn.Conv2d(16, 32, 5)),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.BatchNorm1d(32), torch.nn.BatchNorm1d(32)),
        (nn.BatchNorm2d(16), torch.nn.BatchNorm2d(16)),
        (nn.Dropout(0.25), torch.nn.Dropout(0.25)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Unflatten(1, (1, 28, 28)), torch.nn.Unflatten(1, (1, 28, 28))),
    ],
)
def test_each_layer_prints_as_its_torch_twin_and_lays_out_its_weights_alike(numpy_layer, torch_layer) -> None:
    assert repr(numpy_layer) == repr(torch_layer)
    numpy_shapes = [value.shape for _, value, _ in numpy_layer.named_parameters()]
    assert numpy_shapes == [tuple(p.shape) for p in torch_layer.parameters()]
    numpy_buffers = [(name, value.shape, value.dtype.kind) for name, value in numpy_layer.named_buffers()]
    torch_buffers = [(name, tuple(b.shape), b.numpy().dtype.kind) for name, b in torch_layer.named_buffers()]
    assert numpy_buffers == torch_buffers
