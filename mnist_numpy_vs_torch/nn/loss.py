"""CrossEntropyLoss, the twin of torch.nn.CrossEntropyLoss, and the softmax and per-sample cross-entropy the
evaluation and the recognition read."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module

# Softmax cross-entropy over logits. For logits z of one sample, true class y and m = max_k z_k:
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
    scratch arrays), else allocates."""
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
    backward() returns dL/dz, both in scratch arrays kept for the batch size."""

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        n = len(labels)
        probs, peak = shifted_exp(
            logits,
            out=self.scratch("delta", logits.shape, logits.dtype),
            peak_out=self.scratch("peak", (n, 1), logits.dtype),
        )
        total = np.sum(probs, axis=1, keepdims=True, out=self.scratch("total", (n, 1), logits.dtype))
        if len(self._scratch.get("rows", ())) < n:
            self._scratch["rows"] = np.arange(n)  # for picking each sample's true-class entry
        rows = self._scratch["rows"][:n]
        self.probs, self.total, self.rows, self.labels = probs, total, rows, labels
        return float(np.mean(np.log(total[:, 0]) - (logits[rows, labels] - peak[:, 0])))

    def backward(self, grad: np.ndarray | None = None) -> np.ndarray:
        delta = self.probs
        delta /= self.total
        delta[self.rows, self.labels] -= 1.0
        delta *= 1.0 / len(self.labels)
        return delta
