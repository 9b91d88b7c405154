"""Mistakes in the NumPy layers that a from-scratch convolution commonly makes and its own gradient check must
catch: each takes the place of the function of models/numpy_nn.py with the same arguments."""

from __future__ import annotations

import numpy as np


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
