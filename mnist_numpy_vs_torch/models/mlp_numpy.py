"""A multilayer perceptron in NumPy alone: dense layers and nothing else, so the whole network is
models/numpy_common.py's Dense stack, whose forward and backward passes are written out there as equations:

    a_0 = x (B, 784);   z_l = a_{l-1} W_l + b_l;   a_l = relu(z_l) for l < L;   logits z_L (B, 10)

The update is models/numpy_optim.py's.
"""

from __future__ import annotations

from mnist_numpy_vs_torch.models import mlp
from mnist_numpy_vs_torch.models.numpy_common import Dense, DenseBackprop
from mnist_numpy_vs_torch.params import MLPParams


class NumpyMLP(Dense):
    """The MLP's parameters: weights (fan_in, fan_out) and biases per layer."""


class Backprop(DenseBackprop):
    """Forward and backward passes of a NumpyMLP, in buffers sized for the batch and reused by every step."""


def build(section: MLPParams, seed: int) -> NumpyMLP:
    """The network of `seed`, from the initial weights both frameworks share."""
    return NumpyMLP(mlp.initial_weights(section.hidden, section.init, seed))
