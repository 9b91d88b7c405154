"""Linear: the dense layer, the twin of torch.nn.Linear."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module


class Linear(Module):
    """Linear(in_features, out_features): weight (out_features, in_features) and bias (out_features,), as nn.Linear's.

        forward    z = x W^T + b                 x (B, in) -> z (B, out)
        backward   dW = dz^T x      (out, in)
                   db = sum_i dz_i  (out,)
                   dx = dz W        (B, in)

    W is stored column-major, so W^T is a row-major (in, out) array and each line above is one BLAS product on
    row-major operands.
    """

    WEIGHT_ORDER = "F"  # (out, in), column-major

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.set_parameters(np.zeros((out_features, in_features), np.float32), np.zeros(out_features, np.float32))

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = np.matmul(x, self.weight.T, out=self.scratch("z", (len(x), self.out_features), self.weight.dtype))
        z += self.bias
        if self.training:
            self.x = x
        return z

    def backward(self, dz: np.ndarray) -> np.ndarray | None:
        np.matmul(self.x.T, dz, out=self.weight_grad.T)  # dW^T = x^T dz, into the row-major (in, out) storage
        np.sum(dz, axis=0, out=self.bias_grad)
        if not self.needs_input_grad:
            return None
        return np.matmul(dz, self.weight, out=self.scratch("dx", self.x.shape, self.weight.dtype))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=True"
