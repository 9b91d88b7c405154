"""The one place that draws initial weights: He (Kaiming) initialisation from a seed's weight stream.

Var(W) = gain^2 / fan_in. The gain is sqrt(2) for a layer followed by ReLU, which keeps the activations' scale
through the network; a layer feeding softmax takes a small gain instead, so that the first prediction is
near-uniform and training starts at loss ln(10), not above it. Each architecture (models/mlp.py, ...) says which
layers it has; both frameworks build from the arrays drawn here, so they start from the same weights.
"""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch import seeds

RELU_GAIN = float(np.sqrt(2.0))
OUTPUT_GAIN = 0.1
INITS = ("kaiming_uniform", "kaiming_normal")


def weights_stream(seed: int) -> np.random.Generator:
    return seeds.generator(seed, "weights")


def kaiming(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, gain: float, init: str) -> np.ndarray:
    """float32 weights of `shape` with standard deviation gain / sqrt(fan_in), uniform or normal."""
    std = gain / np.sqrt(fan_in)
    if init == "kaiming_uniform":
        bound = np.float32(np.sqrt(3.0) * std)  # a uniform on [-b, b] has std b / sqrt(3)
        return rng.random(shape, dtype=np.float32) * (2 * bound) - bound
    if init == "kaiming_normal":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
    raise ValueError(f"unknown init {init!r}")
