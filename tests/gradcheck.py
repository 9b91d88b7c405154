"""The one gradient check every NumPy layer and network is held to: central differences in float64, every entry.

For a scalar loss L of an array a, the numeric derivative of each entry is

    (L(a + eps e_i) - L(a - eps e_i)) / (2 eps)

whose error is O(eps^2) from truncation plus O(u / eps) from rounding (u = 1.1e-16 in float64): about 1e-10 relative
at eps = 1e-6. Analytic and numeric gradients are compared as max |analytic - numeric| / max |numeric| per array,
and PASS (1e-6) is far above that noise and far below what a wrong equation gives (the mutants: 1e-2 and more).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mnist_numpy_vs_torch import nn

EPS = 1e-6
PASS = 1e-6  # relative error under which a gradient is right
FAIL = 1e-2  # relative error a mutant must reach: the check sees it


def numeric_gradient(loss: Callable[[], float], array: np.ndarray, eps: float = EPS) -> np.ndarray:
    """dL/d(array) by central differences, one entry at a time; `array` is changed in place and restored."""
    numeric = np.zeros(array.shape)
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + eps
        plus = loss()
        array[i] = saved - eps
        minus = loss()
        array[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    return float(np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-12))


def layer_errors(layer: nn.Module, x: np.ndarray, seed: int = 0) -> dict[str, float]:
    """One layer alone, in training mode: L = sum(forward(x) * G) for a fixed random G, so that dL/d(output) = G.
    The relative error of backward's input gradient ("input") and of every parameter's gradient, by name."""
    layer.training = True
    g = np.random.default_rng(seed).normal(size=layer.forward(x.copy()).shape)
    analytic = {"input": np.array(layer.backward(g.copy()))}  # copies: an in-place layer writes over what it is given
    analytic |= {name: grad.copy() for name, _, grad in layer.named_parameters()}

    def loss() -> float:
        return float((layer.forward(x.copy()) * g).sum())

    arrays = {"input": x} | {name: value for name, value, _ in layer.named_parameters()}
    return {name: relative_error(analytic[name], numeric_gradient(loss, array)) for name, array in arrays.items()}


def network_errors(
    network: nn.Sequential, x: np.ndarray, y: np.ndarray, zero: tuple[str, ...] = ()
) -> dict[str, float]:
    """A whole network and its loss, in training mode, as a training step computes them: the relative error of
    every parameter's gradient, by its state_dict name. The parameters named in `zero` have no effect on the loss
    by design (a bias followed by batch normalisation, which subtracts it again): both their gradients must be 0
    within rounding, and their error is the larger of the two."""
    criterion = nn.CrossEntropyLoss()
    network.train()
    criterion.forward(network.forward(x), y)
    network.backward(criterion.backward())
    analytic = {name: grad.copy() for name, _, grad in network.named_parameters()}
    live = [g for name, g in analytic.items() if name not in zero]
    assert all(np.abs(g).max() > 1e-3 for g in live), "every parameter must have a gradient to check"

    def loss() -> float:
        return criterion.forward(network.forward(x), y)

    errors = {}
    for name, value, _ in network.named_parameters():
        numeric = numeric_gradient(loss, value)
        if name in zero:
            errors[name] = float(max(np.abs(analytic[name]).max(), np.abs(numeric).max()))
        else:
            errors[name] = relative_error(analytic[name], numeric)
    return errors


class HeldStill:
    """A stand-in for a Dropout layer's generator that draws the same uniforms at every call of a shape, so that the
    layer drops the same units at every forward pass the central differences make."""

    def __init__(self, seed: int) -> None:
        self.rng, self.draws = np.random.default_rng(seed), {}

    def random(self, shape: tuple[int, ...]) -> np.ndarray:
        if shape not in self.draws:
            self.draws[shape] = self.rng.random(shape)
        return self.draws[shape]
