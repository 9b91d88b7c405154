"""Conv2d, the twin of torch.nn.Conv2d, as im2col: every window of the input copied out as a row, and the
convolution one BLAS product of those rows with the kernels; col2im adds each window's gradient back."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mnist_numpy_vs_torch.nn.module import Module

# Images per evaluation pass through a convolution: the windows of 2,000 images would take hundreds of MB.
INFERENCE_CHUNK = 500


def im2col(a: np.ndarray, k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Every k x k window of a (B, H, W, C) batch, copied out as (B, H', W', k, k, C), H' = H - k + 1."""
    view = sliding_window_view(a, (k, k), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)  # (B, H', W', k, k, C), no copy
    if out is None:
        return view.copy()
    np.copyto(out, view)
    return out


def im2col_columns(a: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    """Every k x k window of a one-channel (B, H, W, 1) batch, copied out as columns (k, k, B, H', W'): for each
    offset (y, x), the pixels every window reads there. The copy moves runs of W' numbers (a window row of the
    image) where im2col's moves runs of k C = k, far fewer and longer runs (docs/performance.md has the times)."""
    np.copyto(out, sliding_window_view(a[..., 0], (k, k), axis=(1, 2)).transpose(3, 4, 0, 1, 2))
    return out


def kernel_matrix(kernel: np.ndarray) -> np.ndarray:
    """W~: the kernels (F, C, k, k) as rows (F, k k C), in the windows' order."""
    return kernel.transpose(0, 2, 3, 1).reshape(len(kernel), -1)


def col2im(dcols: np.ndarray, da: np.ndarray, k: int) -> None:
    """da[b, i + y, j + x, c] = sum of dcols[y, x, b, i, j, c] over the windows that read pixel (i + y, j + x).
    dcols comes (k, k, B, H', W', C): each (y, x) a contiguous block, added in one pass."""
    h, w = dcols.shape[3], dcols.shape[4]
    da[...] = 0
    for y in range(k):
        for x in range(k):
            da[:, y : y + h, x : x + w, :] += dcols[y, x]


class Conv2d(Module):
    """Conv2d(in_channels, out_channels, kernel_size): weight (F, C, k, k) and bias (F,), as nn.Conv2d's; valid,
    stride 1; cross-correlation, as torch computes it. On channels-last input a (B, H, W, C):

        cols[b, i, j] = a[b, i:i+k, j:j+k, :] as (k, k, C), flattened     (B H' W', k k C),  H' = H - k + 1
        z = cols W~^T + b,   W~[f] = W[f] as (k, k, C), flattened          (B, H', W', F)

    backward, given dz:

        dW~ = dz^T cols,   db = 1^T dz (the sum over b, i, j)              a BLAS product each
        dcols[y, x] = dz W~[:, y, x, :]                                    (k, k, B H' W', C), k k products
        da[b, i + y, j + x, c] += dcols[y, x, b, i, j, c]                  col2im: each window's gradient back to
                                                                           the pixels it read
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        k = kernel_size
        self.set_parameters(np.zeros((out_channels, in_channels, k, k), np.float32), np.zeros(out_channels, np.float32))

    def forward(self, a: np.ndarray) -> np.ndarray:
        k, f, dtype = self.kernel_size, self.out_channels, self.weight.dtype
        n, height, width = len(a), a.shape[1] - k + 1, a.shape[2] - k + 1
        matrix = self.scratch("matrix", (f, k * k * self.in_channels), dtype, batch_axis=None)
        np.copyto(matrix, kernel_matrix(self.weight))
        z = self.scratch("z", (n, height, width, f), dtype)
        chunk = n if self.training else INFERENCE_CHUNK
        for start in range(0, n, chunk):
            windows = self.windows(a[start : start + chunk], height, width)
            np.matmul(windows.T, matrix.T, out=z[start : start + chunk].reshape(-1, f))  # z = cols W~^T
        z += self.bias
        if self.training:
            self.windows_matrix, self.matrix, self.input_shape = windows, matrix, a.shape
        return z

    def windows(self, part: np.ndarray, height: int, width: int) -> np.ndarray:
        """cols^T, (k k C, B H' W'): im2col's rows, or with one input channel im2col_columns' (a cheaper copy)."""
        k, c, dtype = self.kernel_size, self.in_channels, self.weight.dtype
        if c == 1:
            shape = (k, k, len(part), height, width)
            return im2col_columns(part, k, out=self.scratch("cols", shape, dtype, batch_axis=2)).reshape(k * k, -1)
        cols = im2col(part, k, out=self.scratch("cols", (len(part), height, width, k, k, c), dtype))
        return cols.reshape(-1, k * k * c).T

    def backward(self, dz: np.ndarray) -> np.ndarray | None:
        k, f, dtype = self.kernel_size, self.out_channels, self.weight.dtype
        dz2 = dz.reshape(-1, f)
        transposed = self.scratch("weight_grad_t", (self.matrix.shape[1], f), dtype, batch_axis=None)
        grad = np.matmul(self.windows_matrix, dz2, out=transposed)  # dW~^T = cols^T dz
        np.copyto(self.weight_grad, grad.reshape(k, k, -1, f).transpose(3, 2, 0, 1))  # (F, C, k, k)
        ones = self.scratch("ones", (len(dz2),), dtype)
        ones.fill(1)
        np.matmul(
            ones, dz2, out=self.bias_grad
        )  # db = 1^T dz: a BLAS product rather than np.sum's strided pass down each column
        if not self.needs_input_grad:
            return None
        n, height, width, c = *dz.shape[:3], self.in_channels
        blocks = self.scratch("blocks", (k * k, f, c), dtype, batch_axis=None)  # W~ as k k blocks (F, C)
        np.copyto(blocks, self.matrix.reshape(f, k * k, c).transpose(1, 0, 2))
        dcols = self.scratch("dcols", (k, k, n, height, width, c), dtype, batch_axis=2)
        for block, out in zip(blocks, dcols.reshape(k * k, len(dz2), c)):  # k k products (N, F) (F, C)
            np.matmul(dz2, block, out=out)
        da = self.scratch("da", self.input_shape, dtype)
        col2im(dcols, da, k)
        return da

    def extra_repr(self) -> str:
        k = self.kernel_size
        return f"{self.in_channels}, {self.out_channels}, kernel_size=({k}, {k}), stride=(1, 1)"
