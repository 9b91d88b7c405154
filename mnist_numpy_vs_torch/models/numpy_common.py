"""What every NumPy network ends with: softmax and cross-entropy over logits, and its mean loss and accuracy.

For logits z of one sample and its true class y, with m = max_k z_k:

    softmax(z)_k  = exp(z_k - m) / sum_j exp(z_j - m)
    loss(z, y)    = logsumexp(z) - z_y = m + log sum_j exp(z_j - m) - z_y

Subtracting m changes neither and keeps exp from overflowing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


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


def evaluate(
    logits: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray, batch_size: int = 2000
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of the network `logits` on (x, y)."""
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        z = logits(x[start : start + batch_size])
        labels = y[start : start + batch_size]
        loss_sum += float(cross_entropy(z, labels).sum())
        correct += int((z.argmax(axis=1) == labels).sum())
    return loss_sum / len(y), correct / len(y)
