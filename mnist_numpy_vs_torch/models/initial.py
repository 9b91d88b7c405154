"""The one place that draws initial weights, from a seed's weight stream. Each architecture (models/mlp.py, ...)
says which layers it has; both frameworks build from the arrays drawn here, so they start from the same weights.

kaiming_uniform, kaiming_normal (He): Var(W) = gain^2 / fan_in, biases zero. The gain is sqrt(2) for a layer followed
    by ReLU, which keeps the activations' scale through the network; a layer feeding softmax takes a small gain
    instead, so that the first prediction is near-uniform and training starts at loss ln(10), not above it.
pytorch_default: what nn.Linear and nn.Conv2d draw by default: weights and biases uniform on
    [-1/sqrt(fan_in), +1/sqrt(fan_in)] (kaiming_uniform with a = sqrt(5)), whatever the layer's place; drawn here,
    from the seed, weight then bias, layer by layer.

fan_in is the inputs of one output: in_features for a dense layer, in_channels * k * k for a convolution, as PyTorch
counts it.
"""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch import seeds

RELU_GAIN = float(np.sqrt(2.0))
OUTPUT_GAIN = 0.1


def weights_stream(seed: int) -> np.random.Generator:
    return seeds.generator(seed, "weights")


def kaiming(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, gain: float, init: str) -> np.ndarray:
    """float32 weights of `shape`: standard deviation gain / sqrt(fan_in), uniform or normal; or PyTorch's default
    (the gain unused)."""
    std = gain / np.sqrt(fan_in)
    if init == "kaiming_uniform":
        bound = np.float32(np.sqrt(3.0) * std)  # a uniform on [-b, b] has std b / sqrt(3)
        return rng.random(shape, dtype=np.float32) * (2 * bound) - bound
    if init == "kaiming_normal":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
    if init == "pytorch_default":
        return uniform(rng, shape, fan_in)
    raise ValueError(f"unknown init {init!r}")


def bias(rng: np.random.Generator, size: int, fan_in: int, init: str) -> np.ndarray:
    """Zeros for the He initialisations (no draw), PyTorch's uniform for pytorch_default."""
    if init == "pytorch_default":
        return uniform(rng, (size,), fan_in)
    return np.zeros(size, dtype=np.float32)


def uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    bound = np.float32(1.0 / np.sqrt(fan_in))
    return rng.random(shape, dtype=np.float32) * (2 * bound) - bound
