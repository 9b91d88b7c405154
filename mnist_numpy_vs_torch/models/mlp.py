"""The multilayer perceptron: its layers, made from params.yaml's `mlp` section, which both frameworks build.

x (B, 784) -> [Linear -> ReLU -> Dropout(p)] for each entry of `hidden` -> Linear -> 10 logits   (no Dropout if p = 0)
"""

from __future__ import annotations

import itertools

from mnist_numpy_vs_torch.data.mnist import INPUT_SIZE, NUM_CLASSES
from mnist_numpy_vs_torch.models.spec import Architecture, Spec
from mnist_numpy_vs_torch.params import MLPParams


def spec(section: MLPParams) -> Spec:
    layers: Spec = []
    sizes = [INPUT_SIZE, *section.hidden, NUM_CLASSES]
    for number, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if number and section.dropout:
            layers.append(("Dropout", section.dropout))
        layers.append(("Linear", fan_in, fan_out))
        if number < len(sizes) - 2:
            layers.append(("ReLU", True))
    return layers


def describe(section: MLPParams) -> str:
    dropped = f", dropout {section.dropout:g}" if section.dropout else ""
    return f"{INPUT_SIZE} → {' → '.join(map(str, section.hidden))} → {NUM_CLASSES}, ReLU{dropped}"


ARCHITECTURE = Architecture(
    name="mlp",
    label="MLP",
    spec=spec,
    describe=describe,
    first_layer="images",
    registered_on="2026-11-25",
)
