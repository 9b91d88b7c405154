"""The multilayer perceptron both frameworks build: its layer sizes and its initial weights.

Weights are laid out (fan_in, fan_out), as in `x @ W`; the torch twin transposes them into nn.Linear's (out, in).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from mnist_numpy_vs_torch.data.mnist import INPUT_SIZE, NUM_CLASSES
from mnist_numpy_vs_torch.models.initial import OUTPUT_GAIN, RELU_GAIN, bias, kaiming, weights_stream

Layers = list[tuple[np.ndarray, np.ndarray]]  # (weight (fan_in, fan_out), bias (fan_out,)) per layer


def layer_sizes(hidden: Sequence[int]) -> list[int]:
    return [INPUT_SIZE, *hidden, NUM_CLASSES]


def initial_weights(hidden: Sequence[int], init: str, seed: int) -> Layers:
    """Kaiming weights for every layer (OUTPUT_GAIN for the last, RELU_GAIN for the others); biases zero."""
    rng = weights_stream(seed)
    sizes = layer_sizes(hidden)
    layers = []
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        gain = OUTPUT_GAIN if layer == len(sizes) - 2 else RELU_GAIN
        weight = kaiming(rng, (fan_in, fan_out), fan_in, gain, init)
        layers.append((weight, bias(rng, fan_out, fan_in, init)))
    return layers


def parameter_count(hidden: Sequence[int]) -> int:
    sizes = layer_sizes(hidden)
    return sum(a * b + b for a, b in itertools.pairwise(sizes))
