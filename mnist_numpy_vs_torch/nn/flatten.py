"""Flatten and Unflatten, the twins of torch.nn's: between torch's (C, H, W) rows and the channels-last images the
NumPy layers compute on."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module


class Flatten(Module):
    """Flatten(): channels-last (B, H, W, C) -> (B, C H W) rows in torch's (channel, row, column) order; rows
    (B, n) pass through. Backward puts each gradient back where its number came from."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        if self.training:
            self.shape = a.shape
        if a.ndim == 2:
            return a
        n, h, w, c = a.shape
        flat = self.scratch("flat", (n, c, h, w), a.dtype)
        np.copyto(flat, a.transpose(0, 3, 1, 2))
        return flat.reshape(n, -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if len(self.shape) == 2:
            return grad
        n, h, w, c = self.shape
        da = self.scratch("da", (n, h, w, c), grad.dtype)
        np.copyto(da, grad.reshape(n, c, h, w).transpose(0, 2, 3, 1))
        return da

    def extra_repr(self) -> str:
        return "start_dim=1, end_dim=-1"


class Unflatten(Module):
    """Unflatten(1, (C, H, W)): rows (B, C H W) -> images (B, H, W, C), channels-last (a view, no copy)."""

    def __init__(self, dim: int, unflattened_size: tuple[int, int, int]) -> None:
        super().__init__()
        if dim != 1 or len(unflattened_size) != 3:
            raise ValueError(f"Unflatten: dim 1 into (C, H, W) only (got {dim}, {unflattened_size})")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), *self.unflattened_size).transpose(0, 2, 3, 1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.transpose(0, 3, 1, 2).reshape(len(grad), -1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
