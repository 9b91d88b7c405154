"""The learning-rate schedule both trainers follow, step by step."""

from __future__ import annotations

import math

import numpy as np


def learning_rates(
    schedule: str,
    *,
    lr: float,
    epochs: int,
    steps_per_epoch: int,
    lr_min: float = 0.0,
    step_size: int = 1,
    gamma: float = 1.0,
) -> np.ndarray:
    """The learning rate of every optimiser step of the run, shape (epochs, steps_per_epoch).

    cosine:   lr_t = lr_min + (lr - lr_min) (1 + cos(pi t / T)) / 2 over all T steps (Loshchilov & Hutter, SGDR).
    step:     lr * gamma ** floor(epoch / step_size).
    constant: lr throughout.
    """
    epoch = np.repeat(np.arange(epochs), steps_per_epoch).reshape(epochs, steps_per_epoch)
    if schedule == "cosine":
        progress = np.arange(epochs * steps_per_epoch).reshape(epochs, steps_per_epoch) / (epochs * steps_per_epoch)
        return lr_min + (lr - lr_min) * 0.5 * (1.0 + np.cos(math.pi * progress))
    if schedule == "step":
        return lr * gamma ** (epoch // step_size)
    if schedule == "constant":
        return np.full((epochs, steps_per_epoch), lr)
    raise ValueError(f"unknown schedule {schedule!r}")
