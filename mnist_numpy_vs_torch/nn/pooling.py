"""MaxPool2d, the twin of torch.nn.MaxPool2d: the maximum of each window, and its gradient routed back to the
position that held it."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module


def max_pool(r: np.ndarray, size: int, out: np.ndarray | None = None) -> np.ndarray:
    """size x size max-pool, stride `size`, of (B, H, W, C); an odd last row or column is dropped, as torch drops it.
    Written for size 2 as two pairwise maxima of the four positions (the pools here are 2x2)."""
    h, w = r.shape[1] // size * size, r.shape[2] // size * size
    top = np.maximum(r[:, 0:h:size, 0:w:size], r[:, 0:h:size, 1:w:size])
    return np.maximum(top, np.maximum(r[:, 1:h:size, 0:w:size], r[:, 1:h:size, 1:w:size], out=out), out=out)


def first_maxima(r: np.ndarray, p: np.ndarray, size: int, out: np.ndarray) -> np.ndarray:
    """The route of each window's gradient: out[dy size + dx] is True where (dy, dx) is the first position of its
    window, row by row, that holds the maximum p. Ties are common (a uniform background gives equal neighbours), so
    "first" matters: torch routes them so. out is (size size, *p.shape), bool."""
    h, w = p.shape[1] * size, p.shape[2] * size
    taken = np.zeros(p.shape, bool)
    for dy in range(size):
        for dx in range(size):
            here = out[dy * size + dx]
            np.equal(r[:, dy:h:size, dx:w:size], p, out=here)
            np.greater(here, taken, out=here)  # holds the maximum, and no earlier position did
            taken |= here
    return out


def max_pool_backward(route: np.ndarray, dp: np.ndarray, dr: np.ndarray, size: int) -> None:
    """dr = dp at each window's routed position (first_maxima), 0 elsewhere."""
    h, w = dp.shape[1] * size, dp.shape[2] * size
    if h < dr.shape[1] or w < dr.shape[2]:
        dr[...] = 0  # the odd last row or column the pool dropped
    for dy in range(size):
        for dx in range(size):
            np.multiply(dp, route[dy * size + dx], out=dr[:, dy:h:size, dx:w:size])


class MaxPool2d(Module):
    """MaxPool2d(kernel_size) with stride = kernel_size, as nn.MaxPool2d's default; 2x2 here:

    p[b, u, v, c] = max over dy, dx < 2 of r[b, 2u + dy, 2v + dx, c]          (B, H/2, W/2, C)
    backward  dr[b, 2u + dy, 2v + dx, c] = dp[b, u, v, c] at the first (dy, dx), row by row, holding the
              maximum; 0 elsewhere                                             (the route torch's takes)

    In training the route is found in the forward pass, from r and p as they are then, so that a layer after this
    one may write over p (an in-place ReLU).
    """

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        if kernel_size != 2:
            raise ValueError(f"MaxPool2d: kernel_size 2 only (got {kernel_size})")
        self.kernel_size = kernel_size

    def forward(self, r: np.ndarray) -> np.ndarray:
        size = self.kernel_size
        shape = (len(r), r.shape[1] // size, r.shape[2] // size, r.shape[3])
        p = max_pool(r, size, out=self.scratch("p", shape, r.dtype))
        if self.training:
            route = self.scratch("route", (size * size, *shape), np.dtype(bool), batch_axis=1)
            self.route, self.input_shape = first_maxima(r, p, size, out=route), r.shape
        return p

    def backward(self, dp: np.ndarray) -> np.ndarray:
        dr = self.scratch("dr", self.input_shape, dp.dtype)
        max_pool_backward(self.route, dp, dr, self.kernel_size)
        return dr

    def extra_repr(self) -> str:
        k = self.kernel_size
        return f"kernel_size={k}, stride={k}, padding=0, dilation=1, ceil_mode=False"
