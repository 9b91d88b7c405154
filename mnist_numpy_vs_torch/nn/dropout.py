"""Dropout, the twin of torch.nn.Dropout, with the masks mnist_numpy_vs_torch/twins.py draws for both frameworks."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module
from mnist_numpy_vs_torch.twins import missing_generator, scaled_mask


class Dropout(Module):
    """Dropout(p): inverted dropout, in training only. For each unit of each sample, m = 1 / (1 - p) with probability
    1 - p and 0 otherwise (scaled_mask draws it from the layer's seeded stream: the same m torch's twin uses):

        training    y = x m,   backward dx = dy m
        evaluation  y = x      (the 1 / (1 - p) at training time keeps each unit's expected value)
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p, self.generator = p, None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training:
            return x
        if self.generator is None:
            raise missing_generator()
        self.mask = scaled_mask(self.generator, x.shape, self.p, x.dtype)
        return np.multiply(x, self.mask, out=self.scratch("y", x.shape, x.dtype))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return np.multiply(dy, self.mask, out=self.scratch("dx", dy.shape, dy.dtype))

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"
