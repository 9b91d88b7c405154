"""ReLU, the twin of torch.nn.ReLU."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module


class ReLU(Module):
    """ReLU(inplace=False):

        forward   r = max(z, 0)
        backward  dz = dr [r > 0]            (r > 0 exactly where z > 0)

    With inplace=True, as nn.ReLU(inplace=True), r is written over z and dz over dr: after a layer whose backward
    pass never reads its output (Linear; MaxPool2d, which finds its route in the forward pass), that saves an array
    and the memory traffic of a second one (docs/models.md measures it), with the same numbers.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, z: np.ndarray) -> np.ndarray:
        r = np.maximum(z, 0, out=z if self.inplace else self.scratch("r", z.shape, z.dtype))
        if self.training:
            self.r = r
        return r

    def backward(self, dr: np.ndarray) -> np.ndarray:
        mask = np.greater(self.r, 0, out=self.scratch("mask", self.r.shape, np.dtype(bool)))
        return np.multiply(dr, mask, out=dr if self.inplace else self.scratch("dz", dr.shape, dr.dtype))

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""
