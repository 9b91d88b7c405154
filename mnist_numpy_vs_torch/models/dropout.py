"""Dropout's masks, made in one place for both frameworks, so that the NumPy network and its torch twin drop the same
units of the same samples at every step, as they already see the same batches in the same order.

Each Dropout layer holds a generator that training/batches.seed_masks gives it from the seed (its own stream). A
mask is drawn at every forward pass in training mode, in the order the steps run: each framework's Dropout calls
`scaled_mask` once a step, with the same shape, so the n-th step's masks are the same in both.
"""

from __future__ import annotations

import numpy as np


def scaled_mask(generator: np.random.Generator, shape: tuple[int, ...], p: float, dtype: np.dtype) -> np.ndarray:
    """Inverted dropout's factor for every unit: 1 / (1 - p) where the unit is kept (probability 1 - p), 0 where it
    is dropped; the uniforms are float64 whatever `dtype`, so float32 and float64 runs drop the same units."""
    keep = generator.random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype)


def missing_generator() -> RuntimeError:
    return RuntimeError("Dropout in training mode needs its seeded masks: call training/batches.seed_masks first")
