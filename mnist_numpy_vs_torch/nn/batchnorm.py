"""BatchNorm1d and BatchNorm2d, the twins of torch.nn's, written in parts so that DataParallel can synchronise the
batch's statistics across its shards."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module


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
        ones = self.scratch("ones", (m,), dtype)
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
        centred = np.subtract(rows, mean, out=self.scratch("xhat", rows.shape, rows.dtype))
        squares = np.multiply(centred, centred, out=self.scratch("y", rows.shape, rows.dtype))
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
        self.xhat = self.scratch("xhat", (x.size // self.num_features, self.num_features), x.dtype)
        self.xhat *= self.inv_std
        return self.scaled(self.xhat, x.shape)

    def normalised(self, rows: np.ndarray) -> np.ndarray:
        """Evaluation: x^ with the running statistics."""
        return (rows - self.running_mean) / np.sqrt(self.running_var + self.eps)

    def scaled(self, xhat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        y = np.multiply(xhat, self.weight, out=self.scratch("y", xhat.shape, xhat.dtype))
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
        products = np.multiply(rows, self.xhat, out=self.scratch("dx", rows.shape, rows.dtype))
        np.matmul(ones, products, out=self.weight_grad)

    def input_grad(self, dy: np.ndarray, dbeta: np.ndarray, dgamma: np.ndarray, m: int) -> np.ndarray:
        """dx_i = gamma / (m sqrt(var + eps)) (m dy_i - dbeta - x^_i dgamma), with the whole batch's dbeta, dgamma
        and m."""
        rows = dy.reshape(-1, self.num_features)
        dx = np.multiply(self.xhat, dgamma, out=self.scratch("dx", rows.shape, rows.dtype))  # x^ dgamma
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
