"""The small convolutional network both frameworks build: its shape and its initial weights.

    x (B, 1, 28, 28)
    -> [conv k x k (valid, stride 1) -> ReLU -> 2x2 max-pool] for each entry of `channels`
    -> flatten (channel, row, column), as torch.flatten orders it
    -> [dense -> ReLU] for each entry of `hidden` -> dense -> 10 logits

Convolution weights are laid out (out_channels, in_channels, k, k), as nn.Conv2d's; dense weights (fan_in, fan_out),
as the MLP's, which the torch twin transposes into nn.Linear's (out, in). A convolution's fan-in is
in_channels * k * k, as PyTorch's default initialisation counts it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE, NUM_CLASSES
from mnist_numpy_vs_torch.models.initial import OUTPUT_GAIN, RELU_GAIN, bias, kaiming, weights_stream

POOL = 2
Layers = list[tuple[np.ndarray, np.ndarray]]  # (weight, bias) per layer: the convolutions first, then the dense ones


@dataclass(frozen=True)
class Shape:
    channels: tuple[int, ...]  # output channels of each convolution
    kernel: int
    hidden: tuple[int, ...]  # widths of the dense layers before the output

    def sides(self) -> list[int]:
        """The image side entering each convolution, then the side after the last pool."""
        sides = [IMAGE_SIDE]
        for _ in self.channels:
            sides.append((sides[-1] - self.kernel + 1) // POOL)
        return sides

    def flat(self) -> int:
        """Features entering the dense layers."""
        return self.channels[-1] * self.sides()[-1] ** 2

    def dense_sizes(self) -> list[int]:
        return [self.flat(), *self.hidden, NUM_CLASSES]


def shape_of(section: object) -> Shape:
    """The Shape a params section (`cnn`) describes."""
    return Shape(tuple(section.channels), section.kernel, tuple(section.hidden))


def initial_weights(shape: Shape, init: str, seed: int) -> Layers:
    """Kaiming weights for every layer (OUTPUT_GAIN for the last, RELU_GAIN for the others); biases zero."""
    rng = weights_stream(seed)
    layers = []
    inputs = 1
    for out in shape.channels:
        fan_in = inputs * shape.kernel**2
        weight = kaiming(rng, (out, inputs, shape.kernel, shape.kernel), fan_in, RELU_GAIN, init)
        layers.append((weight, bias(rng, out, fan_in, init)))
        inputs = out
    sizes = shape.dense_sizes()
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        gain = OUTPUT_GAIN if layer == len(sizes) - 2 else RELU_GAIN
        weight = kaiming(rng, (fan_in, fan_out), fan_in, gain, init)
        layers.append((weight, bias(rng, fan_out, fan_in, init)))
    return layers


def parameter_count(shape: Shape) -> int:
    count, inputs = 0, 1
    for out in shape.channels:
        count += out * inputs * shape.kernel**2 + out
        inputs = out
    sizes = shape.dense_sizes()
    return count + sum(a * b + b for a, b in itertools.pairwise(sizes))


def describe(shape: Shape) -> str:
    """The network in one line, for reports."""
    convs = ", ".join(f"conv {shape.kernel}x{shape.kernel} →{c}, max-pool" for c in shape.channels)
    return f"{convs}, dense {' → '.join(map(str, shape.dense_sizes()))}"
