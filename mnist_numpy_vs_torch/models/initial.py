"""The one place that draws initial weights, from a seed's weight stream. Each architecture (models/mlp.py, ...)
lists its layers; `initial_state` draws every weight and bias of such a list, and both frameworks load the state it
returns, so they start from the same weights.

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
from mnist_numpy_vs_torch.models.spec import NORMALISING, WEIGHTED, Spec

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


def initial_state(spec: Spec, init: str, seed: int) -> dict[str, np.ndarray]:
    """The state_dict every network of `spec` starts from for `seed`: layer by layer, its weight, then its bias.
    OUTPUT_GAIN for the last layer with weights, RELU_GAIN for the others. A Linear weight is drawn (in, out), the
    order in which x W^T reads it, and handed over as its (out, in) transpose. Batch normalisation starts as
    torch's does, without a draw: gamma 1, beta 0, running mean 0, running variance 1, no batches counted."""
    rng = weights_stream(seed)
    weighted = [index for index, (name, *_) in enumerate(spec) if name in WEIGHTED]
    state = {}
    for index, (name, *args) in enumerate(spec):
        if name in NORMALISING:
            (channels,) = args
            state[f"{index}.weight"], state[f"{index}.bias"] = (
                np.ones(channels, np.float32),
                np.zeros(channels, np.float32),
            )
            state[f"{index}.running_mean"] = np.zeros(channels, np.float32)
            state[f"{index}.running_var"] = np.ones(channels, np.float32)
            state[f"{index}.num_batches_tracked"] = np.zeros((), np.int64)
            continue
        if name not in WEIGHTED:
            continue
        gain = OUTPUT_GAIN if index == weighted[-1] else RELU_GAIN
        if name == "Conv2d":
            inputs, outputs, k = args
            fan_in = inputs * k * k
            weight = kaiming(rng, (outputs, inputs, k, k), fan_in, gain, init)
        else:
            fan_in, fan_out = args
            weight = kaiming(rng, (fan_in, fan_out), fan_in, gain, init).T
        state[f"{index}.weight"] = weight
        state[f"{index}.bias"] = bias(rng, weight.shape[0], fan_in, init)
    return state
