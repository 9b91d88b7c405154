"""The layers every NumPy network here is built from, each the twin of its torch.nn namesake: the same name, the same
arguments in the same order, the same weight layout, and a forward and a backward pass written as the equations
above them. `Sequential` calls them in turn, as nn.Sequential does, and builds from the same list of layers
(models/spec.py) as the torch twin (models/torch_nn.py), so that printing either shows the same network.

Conventions, for a batch of B samples:
- Images travel channels-last, (B, H, W, C), so that a convolution's windows are one strided view and copying them
  moves runs of C contiguous numbers. `Unflatten` makes them from (B, C H W) rows; `Flatten` writes them back in
  torch's (C, H, W) order, so the dense layers after it see exactly what torch's see.
- Every backward pass takes dL/d(output) and returns dL/d(input); a layer with parameters fills their gradients
  (`weight_grad`, `bias_grad`), which the optimiser reads (models/numpy_optim.py). The first layer with parameters
  computes no input gradient, as autograd computes none for an input that needs none.
- In training mode a layer keeps what its backward pass needs, in buffers allocated at the first batch (the
  largest) and reused by every step; a smaller last batch uses the front of them. In evaluation mode nothing is
  kept and every pass allocates what it needs, as under torch.no_grad.
"""

from __future__ import annotations

import copy
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import dropout, saving
from mnist_numpy_vs_torch.models.spec import Spec

# Images per evaluation pass through a convolution: the windows of 2,000 images would take hundreds of MB.
INFERENCE_CHUNK = 500


class Module:
    """What every layer has: a training flag, its parameters, and the buffers it keeps between steps."""

    def __init__(self) -> None:
        self.training = True
        self.needs_input_grad = True  # Sequential clears it on its first layer with parameters
        self._buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    DECAYED = ("weight",)  # the parameters that take weight decay (Linear's and Conv2d's weight; never a bias)

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, value, gradient) of each parameter, weight before bias."""
        return []

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """(name, value) of each array of the state_dict that is not a parameter (BatchNorm's running statistics)."""
        return []

    def set_buffers(self, values: dict[str, np.ndarray]) -> None:
        """Take these values for the layer's buffers, by name."""

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype, batch_axis: int | None = 0) -> np.ndarray:
        """An array of `shape`: in training, kept under `name` and reused (allocated again only when a larger batch
        comes along the batch axis); in evaluation, a fresh one."""
        if not self.training:
            return np.empty(shape, dtype)
        kept = self._buffers.get(name)
        if kept is not None and kept.shape == shape and kept.dtype == dtype:  # every step but an epoch's last
            return kept
        fits = (
            kept is not None
            and kept.dtype == dtype
            and kept.ndim == len(shape)
            and all(k >= s if i == batch_axis else k == s for i, (k, s) in enumerate(zip(kept.shape, shape)))
        )
        if not fits:
            kept = self._buffers[name] = np.empty(shape, dtype)
        if batch_axis is None:
            return kept
        return kept[(slice(None),) * batch_axis + (slice(0, shape[batch_axis]),)]

    WEIGHT_ORDER = "C"  # how a layer with a weight lays it out in memory

    def set_parameters(self, weight: np.ndarray, bias: np.ndarray) -> None:
        """Copy these values into the layer's weight and bias, as torch's load_state_dict copies, so that an
        optimiser made before keeps updating them; new arrays (and gradients) only for a new dtype
        (float64, for the checks)."""
        if getattr(self, "weight", None) is not None and self.weight.dtype == weight.dtype:
            np.copyto(self.weight, weight)
            np.copyto(self.bias, bias)
            return
        self.weight, self.bias = np.array(weight, order=self.WEIGHT_ORDER), np.array(bias)
        self.weight_grad, self.bias_grad = np.empty_like(self.weight), np.empty_like(self.bias)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Linear(Module):
    """Linear(in_features, out_features): weight (out_features, in_features) and bias (out_features,), as nn.Linear's.

        forward    z = x W^T + b                 x (B, in) -> z (B, out)
        backward   dW = dz^T x      (out, in)
                   db = sum_i dz_i  (out,)
                   dx = dz W        (B, in)

    W is stored column-major, so W^T is a row-major (in, out) array and each line above is one BLAS product on
    row-major operands (the same products, in the same order, as before the layers had torch's layout).
    """

    WEIGHT_ORDER = "F"  # (out, in), column-major

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.set_parameters(np.zeros((out_features, in_features), np.float32), np.zeros(out_features, np.float32))

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.weight_grad), ("bias", self.bias, self.bias_grad)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = np.matmul(x, self.weight.T, out=self.buffer("z", (len(x), self.out_features), self.weight.dtype))
        z += self.bias
        if self.training:
            self.x = x
        return z

    def backward(self, dz: np.ndarray) -> np.ndarray | None:
        np.matmul(self.x.T, dz, out=self.weight_grad.T)  # dW^T = x^T dz, into the row-major (in, out) storage
        np.sum(dz, axis=0, out=self.bias_grad)
        if not self.needs_input_grad:
            return None
        return np.matmul(dz, self.weight, out=self.buffer("dx", self.x.shape, self.weight.dtype))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=True"


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
    image) where im2col's moves runs of k C = k: a quarter of the time for MNIST's 28 x 28 images and k = 5."""
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

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.weight_grad), ("bias", self.bias, self.bias_grad)]

    def forward(self, a: np.ndarray) -> np.ndarray:
        k, f, dtype = self.kernel_size, self.out_channels, self.weight.dtype
        n, height, width = len(a), a.shape[1] - k + 1, a.shape[2] - k + 1
        matrix = self.buffer("matrix", (f, k * k * self.in_channels), dtype, batch_axis=None)
        np.copyto(matrix, kernel_matrix(self.weight))
        z = self.buffer("z", (n, height, width, f), dtype)
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
            return im2col_columns(part, k, out=self.buffer("cols", shape, dtype, batch_axis=2)).reshape(k * k, -1)
        cols = im2col(part, k, out=self.buffer("cols", (len(part), height, width, k, k, c), dtype))
        return cols.reshape(-1, k * k * c).T

    def backward(self, dz: np.ndarray) -> np.ndarray | None:
        k, f, dtype = self.kernel_size, self.out_channels, self.weight.dtype
        dz2 = dz.reshape(-1, f)
        transposed = self.buffer("weight_grad_t", (self.matrix.shape[1], f), dtype, batch_axis=None)
        grad = np.matmul(self.windows_matrix, dz2, out=transposed)  # dW~^T = cols^T dz
        np.copyto(self.weight_grad, grad.reshape(k, k, -1, f).transpose(3, 2, 0, 1))  # (F, C, k, k)
        ones = self.buffer("ones", (len(dz2),), dtype)
        ones.fill(1)
        np.matmul(ones, dz2, out=self.bias_grad)  # db = 1^T dz: a tenth of np.sum's time down a (N, F) column
        if not self.needs_input_grad:
            return None
        n, height, width, c = *dz.shape[:3], self.in_channels
        blocks = self.buffer("blocks", (k * k, f, c), dtype, batch_axis=None)  # W~ as k k blocks (F, C)
        np.copyto(blocks, self.matrix.reshape(f, k * k, c).transpose(1, 0, 2))
        dcols = self.buffer("dcols", (k, k, n, height, width, c), dtype, batch_axis=2)
        for block, out in zip(blocks, dcols.reshape(k * k, len(dz2), c)):  # k k products (N, F) (F, C)
            np.matmul(dz2, block, out=out)
        da = self.buffer("da", self.input_shape, dtype)
        col2im(dcols, da, k)
        return da

    def extra_repr(self) -> str:
        k = self.kernel_size
        return f"{self.in_channels}, {self.out_channels}, kernel_size=({k}, {k}), stride=(1, 1)"


class ReLU(Module):
    """ReLU(inplace=False):

        forward   r = max(z, 0)
        backward  dz = dr [r > 0]            (r > 0 exactly where z > 0)

    With inplace=True, as nn.ReLU(inplace=True), r is written over z and dz over dr: after a layer whose backward
    pass never reads its output (Linear; MaxPool2d, which finds its route in the forward pass), that saves a buffer
    and the memory traffic of a second one (4-10% of the CNN's step when the ReLU followed the convolution,
    measured on an Intel Xeon with AVX-512: docs/models.md), with the same numbers.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, z: np.ndarray) -> np.ndarray:
        r = np.maximum(z, 0, out=z if self.inplace else self.buffer("r", z.shape, z.dtype))
        if self.training:
            self.r = r
        return r

    def backward(self, dr: np.ndarray) -> np.ndarray:
        mask = np.greater(self.r, 0, out=self.buffer("mask", self.r.shape, np.dtype(bool)))
        return np.multiply(dr, mask, out=dr if self.inplace else self.buffer("dz", dr.shape, dr.dtype))

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


def pool(r: np.ndarray, size: int, out: np.ndarray | None = None) -> np.ndarray:
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


def pool_backward(route: np.ndarray, dp: np.ndarray, dr: np.ndarray, size: int) -> None:
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
        p = pool(r, size, out=self.buffer("p", shape, r.dtype))
        if self.training:
            route = self.buffer("route", (size * size, *shape), np.dtype(bool), batch_axis=1)
            self.route, self.input_shape = first_maxima(r, p, size, out=route), r.shape
        return p

    def backward(self, dp: np.ndarray) -> np.ndarray:
        dr = self.buffer("dr", self.input_shape, dp.dtype)
        pool_backward(self.route, dp, dr, self.kernel_size)
        return dr

    def extra_repr(self) -> str:
        k = self.kernel_size
        return f"kernel_size={k}, stride={k}, padding=0, dilation=1, ceil_mode=False"


class _BatchNorm(Module):
    """Batch normalisation of the m rows of x as (m, C), per channel c: the batch's rows for BatchNorm1d (B, C), every
    pixel of the batch for BatchNorm2d (B, H, W, C) channels-last. weight is gamma, bias is beta, as torch names them.

        training    mu = 1/m sum_i x_i,   var = 1/m sum_i (x_i - mu)^2                 the batch's; var biased
                    x^_i = (x_i - mu) / sqrt(var + eps),   y_i = gamma x^_i + beta
                    running_mean <- (1 - momentum) running_mean + momentum mu
                    running_var  <- (1 - momentum) running_var + momentum var m / (m - 1)     unbiased
        evaluation  x^_i = (x_i - running_mean) / sqrt(running_var + eps),   y_i = gamma x^_i + beta
        backward    dbeta = sum_i dy_i,   dgamma = sum_i dy_i x^_i
                    dx_i = gamma / (m sqrt(var + eps)) (m dy_i - dbeta - x^_i dgamma)

    The backward line is dL/dx through mu and var as well as directly (cs231n's compact form). Sums down the rows are
    products with a row of ones (1^T x), as the convolution's bias gradient. gamma and beta take no weight decay.
    """

    DECAYED = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.set_parameters(np.ones(num_features, np.float32), np.zeros(num_features, np.float32))
        self.running_mean, self.running_var = np.zeros(num_features, np.float32), np.ones(num_features, np.float32)
        self.num_batches_tracked = np.zeros((), np.int64)

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.weight_grad), ("bias", self.bias, self.bias_grad)]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        return [
            ("running_mean", self.running_mean),
            ("running_var", self.running_var),
            ("num_batches_tracked", self.num_batches_tracked),
        ]

    def set_buffers(self, values: dict[str, np.ndarray]) -> None:
        """Copied into the arrays the layer holds (which DataParallel's replicas share), as set_parameters copies;
        new arrays only for a new dtype."""
        for name, value in values.items():
            held = getattr(self, name)
            if held.dtype == value.dtype and held.shape == value.shape:
                np.copyto(held, value)
            else:
                setattr(self, name, np.array(value))

    def ones(self, m: int, dtype: np.dtype) -> np.ndarray:
        ones = self.buffer("ones", (m,), dtype)
        ones.fill(1)
        return ones

    # Each pass is written in parts, so that DataParallel can add up the sums over every shard of the batch between
    # them (what torch calls synchronised batch normalisation); one pass over the whole batch calls them in turn.

    def forward(self, x: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, self.num_features)  # (m, C): channels-last, so a view
        if not self.training:
            return self.scaled(self.normalised(rows), x.shape)
        m = len(rows)
        mean = self.partial_sum(rows) / m
        var = self.biased_variance(self.partial_square_sum(rows, mean), m)
        self.track(mean, var, m)
        return self.finish(x, var)

    def partial_sum(self, rows: np.ndarray) -> np.ndarray:
        """sum_i x_i over these rows."""
        return np.matmul(self.ones(len(rows), rows.dtype), rows)

    def partial_square_sum(self, rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """sum_i (x_i - mu)^2 over these rows, keeping x_i - mu for finish."""
        centred = np.subtract(rows, mean, out=self.buffer("xhat", rows.shape, rows.dtype))
        squares = np.multiply(centred, centred, out=self.buffer("y", rows.shape, rows.dtype))
        return np.matmul(self.ones(len(rows), rows.dtype), squares)

    @staticmethod
    def biased_variance(sum_of_squares: np.ndarray, m: int) -> np.ndarray:
        """var = 1/m sum_i (x_i - mu)^2: the batch's own spread, which is what it is normalised by."""
        return sum_of_squares / m

    def track(self, mean: np.ndarray, var: np.ndarray, m: int) -> None:
        """running <- (1 - momentum) running + momentum batch, the variance unbiased: var m / (m - 1)."""
        momentum = self.momentum
        self.running_mean *= 1 - momentum
        self.running_mean += momentum * mean
        self.running_var *= 1 - momentum
        self.running_var += momentum * var * (m / (m - 1))
        self.num_batches_tracked += 1

    def finish(self, x: np.ndarray, var: np.ndarray) -> np.ndarray:
        """y = gamma x^ + beta, x^ = (x - mu) / sqrt(var + eps) from the x - mu partial_square_sum kept."""
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = self.buffer("xhat", (x.size // self.num_features, self.num_features), x.dtype)
        self.xhat *= self.inv_std
        return self.scaled(self.xhat, x.shape)

    def normalised(self, rows: np.ndarray) -> np.ndarray:
        """Evaluation: x^ with the running statistics."""
        return (rows - self.running_mean) / np.sqrt(self.running_var + self.eps)

    def scaled(self, xhat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        y = np.multiply(xhat, self.weight, out=self.buffer("y", xhat.shape, xhat.dtype))
        y += self.bias
        return y.reshape(shape)

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        rows = dy.reshape(-1, self.num_features)
        self.partial_grads(rows)
        if not self.needs_input_grad:
            return None
        return self.input_grad(dy, self.bias_grad, self.weight_grad, len(rows))

    def partial_grads(self, rows: np.ndarray) -> None:
        """dbeta = sum_i dy_i and dgamma = sum_i dy_i x^_i over these rows, into the gradients."""
        ones = self.ones(len(rows), rows.dtype)
        np.matmul(ones, rows, out=self.bias_grad)
        products = np.multiply(rows, self.xhat, out=self.buffer("dx", rows.shape, rows.dtype))
        np.matmul(ones, products, out=self.weight_grad)

    def input_grad(self, dy: np.ndarray, dbeta: np.ndarray, dgamma: np.ndarray, m: int) -> np.ndarray:
        """dx_i = gamma / (m sqrt(var + eps)) (m dy_i - dbeta - x^_i dgamma), with the whole batch's dbeta, dgamma
        and m."""
        rows = dy.reshape(-1, self.num_features)
        dx = np.multiply(self.xhat, dgamma, out=self.buffer("dx", rows.shape, rows.dtype))  # x^ dgamma
        dx += dbeta
        np.subtract(rows * m, dx, out=dx)
        dx *= self.weight * self.inv_std / m
        return dx.reshape(dy.shape)

    def extra_repr(self) -> str:
        settings = f"eps={self.eps}, momentum={self.momentum}, affine=True, bias=True, track_running_stats=True"
        return f"{self.num_features}, {settings}"


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d(num_features): over the batch, per feature of (B, C) rows (the equations above)."""


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d(num_features): over the batch and every pixel, per channel of (B, H, W, C) images."""


class Dropout(Module):
    """Dropout(p): inverted dropout, in training only. For each unit of each sample, m = 1 / (1 - p) with probability
    1 - p and 0 otherwise (models/dropout.py draws it from the layer's seeded stream: the same m torch's twin uses):

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
            raise dropout.missing_generator()
        self.mask = dropout.scaled_mask(self.generator, x.shape, self.p, x.dtype)
        return np.multiply(x, self.mask, out=self.buffer("y", x.shape, x.dtype))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return np.multiply(dy, self.mask, out=self.buffer("dx", dy.shape, dy.dtype))

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class Flatten(Module):
    """Flatten(): channels-last (B, H, W, C) -> (B, C H W) rows in torch's (channel, row, column) order; rows
    (B, n) pass through. Backward puts each gradient back where its number came from."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        if self.training:
            self.shape = a.shape
        if a.ndim == 2:
            return a
        n, h, w, c = a.shape
        flat = self.buffer("flat", (n, c, h, w), a.dtype)
        np.copyto(flat, a.transpose(0, 3, 1, 2))
        return flat.reshape(n, -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if len(self.shape) == 2:
            return grad
        n, h, w, c = self.shape
        da = self.buffer("da", (n, h, w, c), grad.dtype)
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


LAYERS = {
    cls.__name__: cls
    for cls in (Linear, Conv2d, ReLU, MaxPool2d, BatchNorm1d, BatchNorm2d, Dropout, Flatten, Unflatten)
}


class Sequential(Module):
    """The layers in turn: forward first to last, backward last to first."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self.layers = list(layers)
        weighted = [layer for layer in self.layers if layer.named_parameters()]
        if weighted:
            weighted[0].needs_input_grad = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> None:
        """Every parameter's gradient from dL/d(output); stops at the first layer with parameters."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
            if grad is None:
                return

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """As torch names them: "<index>.weight", "<index>.bias", in the layers' order."""
        return [
            (f"{index}.{name}", value, grad)
            for index, layer in enumerate(self.layers)
            for name, value, grad in layer.named_parameters()
        ]

    def parameters(self) -> tuple[list[np.ndarray], list[bool]]:
        """Every array the optimiser updates, and whether it takes weight decay (the weights of Linear and Conv2d;
        no bias, and not BatchNorm's gamma)."""
        named = [(name in layer.DECAYED, value) for layer in self for name, value, _ in layer.named_parameters()]
        return [value for _, value in named], [decayed for decayed, _ in named]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays backward fills, in the order of parameters()."""
        return [grad for _, _, grad in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters, then buffers, layer by layer, under torch's names ("1.weight", "2.running_mean")."""
        return {
            f"{index}.{name}": value
            for index, layer in enumerate(self.layers)
            for name, value in [(name, value) for name, value, _ in layer.named_parameters()] + layer.named_buffers()
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> Sequential:
        """Take these values (and their dtype); the names and shapes must be this network's exactly."""
        saving.check_state(self.state_dict(), state)
        for index, layer in enumerate(self.layers):
            if layer.named_parameters():
                layer.set_parameters(state[f"{index}.weight"], state[f"{index}.bias"])
            if layer.named_buffers():
                layer.set_buffers({name: state[f"{index}.{name}"] for name, _ in layer.named_buffers()})
        return self

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        lines = [f"  ({index}): {layer!r}" for index, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


def build(spec: Spec, state: dict[str, np.ndarray] | None = None) -> Sequential:
    """The network `spec` lists, holding `state` when given (models/initial.py's initial weights, or a saved
    model's)."""
    network = Sequential(*(LAYERS[name](*args) for name, *args in spec))
    network.spec = spec
    return network if state is None else network.load_state_dict(state)


def replicate(module: Module) -> Module:
    """A copy of `module` that holds the same weight arrays and keeps buffers and gradients of its own, as
    torch.nn.parallel.replicate makes one per device."""
    if isinstance(module, Sequential):
        twin = Sequential(*(replicate(layer) for layer in module))
        twin.training = module.training
        return twin
    twin = copy.copy(module)
    twin._buffers = {}
    if module.named_parameters():
        twin.weight_grad, twin.bias_grad = np.empty_like(module.weight_grad), np.empty_like(module.bias_grad)
    return twin


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """(start, stop) of `shards` consecutive row ranges of n rows, as equal as they can be (the first ones longer),
    none empty."""
    cuts = [n * i // shards for i in range(shards + 1)]
    return [(start, stop) for start, stop in itertools.pairwise(cuts) if stop > start]


class DataParallel(Module):
    """DataParallel(module, shards, threads): the batch split into `shards` consecutive parts, each run through a
    replica of `module` (a Sequential), as nn.DataParallel splits a batch over devices; here the devices are threads
    (up to `threads` at once), since NumPy and its BLAS let go of Python's lock inside every array operation. For
    rows x = [x_1; ...; x_S] (shard s of B_s rows):

        forward    y = [f(x_1); ...; f(x_S)]                      the replicas' outputs, stacked
        backward   dx = [dx_1; ...; dx_S]                         each replica's backward on its rows of dy
                   dW = dW_1 + ... + dW_S                         summed in shard order

    dW is exact: the loss is a mean over the whole batch, so each shard's dL/dy rows already carry 1/B, and a
    gradient is a sum over the batch's samples. A batch normalisation layer needs the whole batch's mean and
    variance, and in its backward pass the whole batch's sums of dy and dy x^: the replicas stop there, their
    partial sums are added (synchronised batch normalisation, as nn.SyncBatchNorm), and they go on. The shards and
    the order of every sum are fixed, so the numbers do not depend on `threads` (with one thread the shards run in
    turn); they differ from an unsplit pass only in the order of those sums. Replica 0 is `module` itself; the
    others share its weights, and only replica 0 keeps the running statistics.

    Each thread should run BLAS on one thread (threadpoolctl), or the BLAS's threads and these compete for cores.
    """

    def __init__(self, module: Sequential, shards: int, threads: int) -> None:
        super().__init__()
        if shards < 1 or threads < 1:
            raise ValueError(f"DataParallel: shards and threads must be at least 1 (got {shards}, {threads})")
        self.module, self.shards, self.threads = module, shards, threads
        self.replicas = [module, *(replicate(module) for _ in range(shards - 1))]
        self.pool = ThreadPoolExecutor(min(threads, shards)) if threads > 1 and shards > 1 else None
        # the layers between batch normalisations: (start, stop), a _BatchNorm at stop unless stop is the end
        cuts = [i for i, layer in enumerate(module) if isinstance(layer, _BatchNorm)]
        self.segments = list(zip([0, *(i + 1 for i in cuts)], [*cuts, len(module)]))

    def _map(self, function: Callable, *arguments: list) -> list:
        if self.pool is None:
            return list(map(function, *arguments))
        return list(self.pool.map(function, *arguments))

    def _run(self, method: str, start: int, stop: int, parts: list[np.ndarray]) -> list[np.ndarray | None]:
        """Each replica's layers start..stop-1 on its part, forward first to last, backward last to first."""

        def run(replica: Sequential, part: np.ndarray | None) -> np.ndarray | None:
            layers = replica.layers[start:stop]
            for layer in layers if method == "forward" else reversed(layers):
                if part is None:
                    return None
                part = getattr(layer, method)(part)
            return part

        return self._map(run, self.replicas[: len(parts)], parts)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.bounds = shard_bounds(len(x), self.shards)
        parts = [x[start:stop] for start, stop in self.bounds]
        if not self.training:  # batch normalisation reads its running statistics: nothing to synchronise
            return self._stacked("y", self._run("forward", 0, len(self.module), parts))
        for start, stop in self.segments:
            parts = self._run("forward", start, stop, parts)
            if stop < len(self.module):
                parts = self._normalise(stop, parts)
        return self._stacked("y", parts)

    def _normalise(self, index: int, parts: list[np.ndarray]) -> list[np.ndarray]:
        """Layer `index`, a batch normalisation, on every shard with the whole batch's statistics."""
        norms = [replica[index] for replica in self.replicas[: len(parts)]]
        rows = [part.reshape(-1, norms[0].num_features) for part in parts]
        m = sum(len(r) for r in rows)
        mean = sum(self._map(lambda norm, r: norm.partial_sum(r), norms, rows)) / m
        var = norms[0].biased_variance(sum(self._map(lambda norm, r: norm.partial_square_sum(r, mean), norms, rows)), m)
        norms[0].track(mean, var, m)
        return self._map(lambda norm, part: norm.finish(part, var), norms, parts)

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        parts = [dy[start:stop] for start, stop in self.bounds]
        for start, stop in reversed(self.segments):
            if stop < len(self.module):
                parts = self._normalise_backward(stop, parts)
            parts = self._run("backward", start, stop, parts)
        self._reduce_gradients()
        return None if parts[0] is None else self._stacked("dx", parts)

    def _normalise_backward(self, index: int, parts: list[np.ndarray]) -> list[np.ndarray]:
        """Layer `index`'s input gradient on every shard from the whole batch's sums of dy and dy x^ (each replica's
        own sums stay in its gradients, which _reduce_gradients adds up)."""
        norms = [replica[index] for replica in self.replicas[: len(parts)]]
        rows = [part.reshape(-1, norms[0].num_features) for part in parts]
        self._map(lambda norm, r: norm.partial_grads(r), norms, rows)
        dbeta, dgamma = sum(norm.bias_grad for norm in norms), sum(norm.weight_grad for norm in norms)
        m = sum(len(r) for r in rows)
        return self._map(lambda norm, part: norm.input_grad(part, dbeta, dgamma, m), norms, parts)

    def _reduce_gradients(self) -> None:
        """Every replica's parameter gradients added into the module's, in shard order."""
        totals = self.module.gradients()
        for replica in self.replicas[1 : len(self.bounds)]:
            for total, part in zip(totals, replica.gradients()):
                total += part

    def _stacked(self, name: str, parts: list[np.ndarray]) -> np.ndarray:
        whole = self.buffer(name, (sum(len(p) for p in parts), *parts[0].shape[1:]), parts[0].dtype)
        for part, (start, stop) in zip(parts, self.bounds):
            whole[start:stop] = part
        return whole

    def train(self, mode: bool = True) -> DataParallel:
        self.training = mode
        for replica in self.replicas:
            replica.train(mode)
        return self

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return self.module.named_parameters()

    def __repr__(self) -> str:
        inner = repr(self.module).replace("\n", "\n  ")
        return f"DataParallel(\n  (module): {inner}\n)"


def data_parallel(network: Sequential, shards: int, threads: int) -> Sequential:
    """`network` with its convolutional part, the layers before its Flatten, as DataParallel(shards, threads), and
    the rest (dense layers, whose products the BLAS already spreads over cores) as it is: the same layer objects
    and weights, so training the result trains `network`. `network` itself when it has no Flatten, when shards is
    1, and when a Dropout is among the layers to split (its masks are drawn for the whole batch)."""
    flatten = next((i for i, layer in enumerate(network) if isinstance(layer, Flatten)), 0)
    if shards == 1 or flatten == 0:
        return network
    if any(isinstance(layer, Dropout) for layer in network.layers[:flatten]):
        return network  # torch draws one mask for the whole batch; the shards would draw theirs one by one
    features = Sequential(*network.layers[:flatten])
    return Sequential(DataParallel(features, shards, threads), *network.layers[flatten:])


# The loss, softmax cross-entropy over logits. For logits z of one sample, true class y and m = max_k z_k:
#
#     softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m)
#     loss(z, y)   = logsumexp(z) - z_y = log sum_j exp(z_j - m) - (z_y - m)
#
# Subtracting m changes neither and keeps exp from overflowing. Over a batch of B, L = 1/B sum_i loss(z_i, y_i) and
#
#     dL/dz = (softmax(z) - onehot(y)) / B


def shifted_exp(
    logits: np.ndarray, out: np.ndarray | None = None, peak_out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """exp(z - m) and m = max_k z_k per row. Writes into `out` and `peak_out` when given (a training step's
    buffers), else allocates."""
    peak = np.max(logits, axis=1, keepdims=True, out=peak_out)
    shifted = np.subtract(logits, peak, out=out)
    return np.exp(shifted, out=shifted), peak


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities, one row per sample."""
    exp, _ = shifted_exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-sample softmax cross-entropy: logsumexp(z) - z_y."""
    exp, peak = shifted_exp(logits)
    log_sum_exp = np.log(exp.sum(axis=1)) + peak[:, 0]
    return log_sum_exp - logits[np.arange(len(labels)), labels]


class CrossEntropyLoss(Module):
    """CrossEntropyLoss(): the mean over the batch, as nn.CrossEntropyLoss's default. forward(z, y) returns L;
    backward() returns dL/dz, both in buffers kept for the batch size."""

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        n = len(labels)
        probs, peak = shifted_exp(
            logits,
            out=self.buffer("delta", logits.shape, logits.dtype),
            peak_out=self.buffer("peak", (n, 1), logits.dtype),
        )
        total = np.sum(probs, axis=1, keepdims=True, out=self.buffer("total", (n, 1), logits.dtype))
        if len(self._buffers.get("rows", ())) < n:
            self._buffers["rows"] = np.arange(n)  # for picking each sample's true-class entry
        rows = self._buffers["rows"][:n]
        self.probs, self.total, self.rows, self.labels = probs, total, rows, labels
        return float(np.mean(np.log(total[:, 0]) - (logits[rows, labels] - peak[:, 0])))

    def backward(self, grad: np.ndarray | None = None) -> np.ndarray:
        delta = self.probs
        delta /= self.total
        delta[self.rows, self.labels] -= 1.0
        delta *= 1.0 / len(self.labels)
        return delta


def evaluate(network: Sequential, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `network`, in evaluation mode, on (x, y)."""
    network.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        z = network.forward(x[start : start + batch_size])
        labels = y[start : start + batch_size]
        loss_sum += float(cross_entropy(z, labels).sum())
        correct += int((z.argmax(axis=1) == labels).sum())
    return loss_sum / len(y), correct / len(y)


def save(network: Sequential, path: str | Path) -> None:
    """The network's layer list and state_dict in one .npz (models/saving.py's format), written atomically."""
    with atomic_write(path) as handle:
        np.savez(handle, **{saving.SPEC_KEY: np.array(saving.spec_json(network.spec))}, **network.state_dict())


def load(path: str | Path) -> Sequential:
    """A network saved by `save`, read without pickle; any fault is a ModelFileError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if saving.SPEC_KEY not in archive.files:
                raise ModelFileError(saving.without_spec(path, archive.files))
            spec = saving.spec_from_json(path, str(archive[saving.SPEC_KEY]))
            state = {name: archive[name] for name in archive.files if name != saving.SPEC_KEY}
    except (OSError, ValueError, KeyError, EOFError, json.JSONDecodeError, zipfile.BadZipFile) as error:
        raise ModelFileError(saving.unreadable(path, "NumPy", error)) from error
    return saving.built(path, lambda: build(spec, state))
