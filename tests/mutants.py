"""Mistakes in the NumPy layers that from-scratch code commonly makes: each takes the place of the function or
method of the nn package with the same arguments. Those of a gradient (the pooling route, col2im, batch
normalisation's backward) are caught by the gradient check (tests/gradcheck.py); those of the running statistics
and of dropout by the comparison with torch (tests/unit/test_parity.py). docs/walkthrough.ipynb shows two of them."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.batchnorm import _BatchNorm
from mnist_numpy_vs_torch.twins import scaled_mask


def route_to_top_left(route: np.ndarray, dp: np.ndarray, dr: np.ndarray, size: int) -> None:
    """Every window's gradient to its top-left position, maximum or not."""
    dr[...] = 0
    dr[:, 0 : dp.shape[1] * size : size, 0 : dp.shape[2] * size : size] = dp


def shifted_windows(dcols: np.ndarray, da: np.ndarray, k: int) -> None:
    """col2im one pixel off: each window's gradient added one column to the right of where it was read."""
    h, w = dcols.shape[3], dcols.shape[4]
    da[...] = 0
    for y in range(k):
        for x in range(k - 1):
            da[:, y : y + h, x + 1 : x + 1 + w, :] += dcols[y, x]


def through_the_statistics_forgotten(self, dy):
    """dx = gamma dy / sqrt(var + eps): as if mu and var did not depend on x (the slip the compact formula avoids)."""
    self.weight_grad[...] = (dy.reshape(self.xhat.shape) * self.xhat).sum(axis=0)
    self.bias_grad[...] = dy.reshape(self.xhat.shape).sum(axis=0)
    return (dy.reshape(self.xhat.shape) * self.weight * self.inv_std).reshape(dy.shape)


# Batch normalisation and dropout, as NumPy re-implementations get them wrong (nn/batchnorm.py's _BatchNorm and
# nn/dropout.py's Dropout have the right ones).


TRACK = _BatchNorm.track


def running_variance_biased(self, mean: np.ndarray, var: np.ndarray, m: int) -> None:
    """The running variance from the biased estimate (torch keeps the unbiased one): the m / (m - 1) undone."""
    TRACK(self, mean, var * (m - 1) / m, m)


def unbiased_variance(sum_of_squares: np.ndarray, m: int) -> np.ndarray:
    """Normalising by the unbiased variance (torch normalises by the biased one)."""
    return sum_of_squares / (m - 1)


def batch_statistics(self, rows: np.ndarray) -> np.ndarray:
    """Evaluation with the batch's own mean and variance instead of the running ones."""
    return (rows - rows.mean(axis=0)) / np.sqrt(rows.var(axis=0) + self.eps)


def dropout_without_rescaling(self, x: np.ndarray) -> np.ndarray:
    """The units dropped, the kept ones not scaled by 1 / (1 - p)."""
    if not self.training:
        return x
    self.mask = (scaled_mask(self.generator, x.shape, self.p, x.dtype) > 0).astype(x.dtype)
    return x * self.mask


def dropout_in_evaluation(self, x: np.ndarray) -> np.ndarray:
    """Dropping units in evaluation mode too."""
    self.mask = scaled_mask(self.generator, x.shape, self.p, x.dtype)
    return x * self.mask
