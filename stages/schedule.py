"""The learning-rate schedule both trainers follow, step by step."""

from __future__ import annotations

import math

import numpy as np


def learning_rates(train: dict, steps_per_epoch: int) -> np.ndarray:
    """The learning rate of every optimiser step of the run, shape (epochs, steps_per_epoch).

    cosine: from `lr` down to `lr_min` along half a cosine over all steps (Loshchilov & Hutter, SGDR).
    step:   `lr` multiplied by `gamma` every `step_size` epochs.
    constant: `lr` throughout.
    """
    epochs, lr = train["epochs"], train["lr"]
    epoch = np.repeat(np.arange(epochs), steps_per_epoch).reshape(epochs, steps_per_epoch)
    if train["schedule"] == "cosine":
        progress = np.arange(epochs * steps_per_epoch).reshape(epochs, steps_per_epoch) / (epochs * steps_per_epoch)
        return train["lr_min"] + (lr - train["lr_min"]) * 0.5 * (1.0 + np.cos(math.pi * progress))
    if train["schedule"] == "step":
        return lr * train["gamma"] ** (epoch // train["step_size"])
    return np.full((epochs, steps_per_epoch), lr)
