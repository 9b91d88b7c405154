"""What the NumPy layers (the nn package) and their torch twins (models/torch_nn.py) share, kept apart from both so
that neither framework's code runs the other's: dropout's masks, drawn from one stream for both, and the check that a
state_dict fits a network, name by name and shape by shape.

Each Dropout layer holds a generator that training/batches.seed_masks gives it from the seed (its own stream). A
mask is drawn at every forward pass in training mode, in the order the steps run: each framework's Dropout calls
`scaled_mask` once a step, with the same shape, so the n-th step's masks are the same in both and the NumPy network
and its torch twin drop the same units of the same samples, as they already see the same batches in the same order.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def scaled_mask(generator: np.random.Generator, shape: tuple[int, ...], p: float, dtype: np.dtype) -> np.ndarray:
    """Inverted dropout's factor for every unit: 1 / (1 - p) where the unit is kept (probability 1 - p), 0 where it
    is dropped; the uniforms are float64 whatever `dtype`, so float32 and float64 runs drop the same units."""
    keep = generator.random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype)


def missing_generator() -> RuntimeError:
    return RuntimeError("Dropout in training mode needs its seeded masks: call training/batches.seed_masks first")


def check_state(expected: dict[str, Any], got: dict[str, Any]) -> None:
    """A ValueError saying which name or shape of `got` does not fit the network whose state is `expected`."""
    missing, unexpected = [n for n in expected if n not in got], [n for n in got if n not in expected]
    if missing or unexpected:
        raise ValueError(f"state_dict has {unexpected or 'nothing more'}, lacks {missing or 'nothing'}")
    for name, value in expected.items():
        if tuple(got[name].shape) != tuple(value.shape):
            raise ValueError(f"{name} is {tuple(got[name].shape)}, the layers need {tuple(value.shape)}")
