"""The multilayer perceptron: its layers, made from params.yaml's `mlp` section, which both frameworks build.

x (B, 784) -> [Linear -> ReLU] for each entry of `hidden` -> Linear -> 10 logits
"""

from __future__ import annotations

import itertools

from mnist_numpy_vs_torch.data.mnist import INPUT_SIZE, NUM_CLASSES
from mnist_numpy_vs_torch.models.spec import Architecture, Spec
from mnist_numpy_vs_torch.params import MLPParams


def spec(section: MLPParams) -> Spec:
    layers: Spec = []
    for fan_in, fan_out in itertools.pairwise([INPUT_SIZE, *section.hidden, NUM_CLASSES]):
        layers += [("Linear", fan_in, fan_out), ("ReLU", True)]
    return layers[:-1]


def describe(section: MLPParams) -> str:
    return f"{INPUT_SIZE} → {' → '.join(map(str, section.hidden))} → {NUM_CLASSES}, ReLU"


ARCHITECTURE = Architecture(
    name="mlp",
    label="MLP",
    spec=spec,
    describe=describe,
    first_layer="images",
    registered_on="2026-11-25",
)
