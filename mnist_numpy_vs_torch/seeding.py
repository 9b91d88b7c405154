"""The one place that turns a seed into a starting point: initial weights, the order of batches and each epoch's
image shifts.

Both trainers call these functions, so NumPy and PyTorch start from the same weights and see the same batches;
any difference in their results is the framework's, not the set-up's. Weights are laid out (fan_in, fan_out), as
in `x @ W`; the torch trainer transposes them into `nn.Linear`'s (out, in).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from mnist_numpy_vs_torch.mnist import INPUT_SIZE, NUM_CLASSES

# Distinct SeedSequence words keep the streams apart: the weights of seed 1 never share draws with the batches.
_INIT_STREAM = 0
_SHUFFLE_STREAM = 1
_SHIFT_STREAM = 2

# He's gain of sqrt(2) keeps the activations' scale through ReLU layers; the output layer feeds softmax instead,
# and a small gain there makes the first prediction near-uniform, so training starts at loss ln(10), not above it.
OUTPUT_GAIN = 0.1


def layer_sizes(hidden: Sequence[int]) -> list[int]:
    return [INPUT_SIZE, *hidden, NUM_CLASSES]


def initial_weights(hidden: Sequence[int], init: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """He (Kaiming) initialisation, Var(W) = gain^2 / fan_in, with gain sqrt(2) for the ReLU layers and OUTPUT_GAIN
    for the output layer; biases zero. float32, laid out (in, out)."""
    rng = np.random.default_rng([seed, _INIT_STREAM])
    sizes = layer_sizes(hidden)
    layers = []
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        gain = OUTPUT_GAIN if layer == len(sizes) - 2 else np.sqrt(2.0)
        std = gain / np.sqrt(fan_in)
        if init == "kaiming_uniform":
            bound = np.float32(np.sqrt(3.0) * std)
            weight = rng.random((fan_in, fan_out), dtype=np.float32) * (2 * bound) - bound
        elif init == "kaiming_normal":
            weight = rng.standard_normal((fan_in, fan_out), dtype=np.float32) * np.float32(std)
        else:
            raise ValueError(f"unknown init {init!r}")
        layers.append((weight, np.zeros(fan_out, dtype=np.float32)))
    return layers


def epoch_order(num_samples: int, seed: int, epoch: int) -> np.ndarray:
    """The sample order of one epoch: a fresh permutation per epoch, every sample exactly once."""
    return np.random.default_rng([seed, _SHUFFLE_STREAM, epoch]).permutation(num_samples)


def batch_bounds(num_samples: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch within an epoch's order: consecutive slices, every sample once; the last batch
    is smaller when batch_size does not divide the epoch."""
    return [(start, min(start + batch_size, num_samples)) for start in range(0, num_samples, batch_size)]


def epoch_shifts(num_samples: int, seed: int, epoch: int, max_shift: int) -> np.ndarray:
    """How far each training image moves in one epoch: (num_samples, 2) whole pixels (down, right), each drawn
    uniformly from -max_shift..max_shift, fresh every epoch. All zero when max_shift is 0."""
    if max_shift == 0:
        return np.zeros((num_samples, 2), dtype=np.int64)
    return np.random.default_rng([seed, _SHIFT_STREAM, epoch]).integers(-max_shift, max_shift + 1, (num_samples, 2))
