"""The small convolutional network: its layers, made from params.yaml's `cnn` section, which both frameworks build.

    x (B, 784) -> Unflatten into (1, 28, 28) images
    -> [Conv2d k x k (valid, stride 1) -> (BatchNorm2d) -> MaxPool2d 2x2 -> ReLU] for each entry of `channels`
    -> Flatten (channel, row, column)
    -> [(Dropout) -> Linear -> (BatchNorm1d) -> ReLU] for each entry of `hidden` -> (Dropout) -> Linear -> 10 logits

with the batch normalisation when `batch_norm` is true and the Dropout when `dropout` is above 0.

A convolution's fan-in is in_channels * k * k, as PyTorch's default initialisation counts it. The ReLU comes after
the pool, as in PyTorch's first MNIST example (relu(max_pool2d(conv(x), 2))): ReLU and the maximum commute, so the
network computes the same function with the same gradients as conv -> ReLU -> pool, with the ReLU's passes over a
quarter of the numbers. Batch normalisation goes before the pool: its scale may be negative, and the maximum does
not commute with that.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE, NUM_CLASSES
from mnist_numpy_vs_torch.models.spec import Architecture, Spec
from mnist_numpy_vs_torch.params import POOL, CNNParams, convolution_sides


@dataclass(frozen=True)
class Shape:
    channels: tuple[int, ...]  # output channels of each convolution
    kernel: int
    hidden: tuple[int, ...]  # widths of the dense layers before the output

    def sides(self) -> list[int]:
        """The image side entering each convolution, then the side after the last pool."""
        return [IMAGE_SIDE, *(conv.pooled for conv in convolution_sides(self.kernel, len(self.channels)))]

    def flat(self) -> int:
        """Features entering the dense layers."""
        return self.channels[-1] * self.sides()[-1] ** 2

    def dense_sizes(self) -> list[int]:
        return [self.flat(), *self.hidden, NUM_CLASSES]


def shape_of(section: CNNParams) -> Shape:
    """The Shape a params section (`cnn`) describes."""
    return Shape(tuple(section.channels), section.kernel, tuple(section.hidden))


def spec(section: CNNParams) -> Spec:
    shape = shape_of(section)
    layers: Spec = [("Unflatten", 1, (1, IMAGE_SIDE, IMAGE_SIDE))]
    for inputs, outputs in itertools.pairwise([1, *shape.channels]):
        layers.append(("Conv2d", inputs, outputs, shape.kernel))
        if section.batch_norm:
            layers.append(("BatchNorm2d", outputs))
        layers += [("MaxPool2d", POOL), ("ReLU", True)]
    layers.append(("Flatten",))
    sizes = shape.dense_sizes()
    for number, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if section.dropout:
            layers.append(("Dropout", section.dropout))
        layers.append(("Linear", fan_in, fan_out))
        if number < len(sizes) - 2:
            layers += [("BatchNorm1d", fan_out)] if section.batch_norm else []
            layers.append(("ReLU", True))
    return layers


def describe(section: CNNParams) -> str:
    """The network in one line, for reports."""
    shape = shape_of(section)
    convs = ", ".join(f"conv {shape.kernel}x{shape.kernel} →{c}, max-pool, ReLU" for c in shape.channels)
    extras = ", batch normalisation" if section.batch_norm else ""
    extras += f", dropout {section.dropout:g}" if section.dropout else ""
    dense = " → ".join(map(str, shape.dense_sizes()))
    return f"{convs}, dense {dense}, ReLU after each dense layer but the last{extras}"


ARCHITECTURE = Architecture(
    name="cnn",
    label="CNN",
    spec=spec,
    describe=describe,
    first_layer="filters",
    registered_on="2026-12-06",  # 4 epochs and dropout 0.25; the 3-epoch CNN's rule was registered on 2026-12-02
)
