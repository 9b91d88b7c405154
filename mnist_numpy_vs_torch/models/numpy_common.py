"""What every NumPy network here shares: softmax and cross-entropy over logits, and dense layers with their backward
pass (the whole of the MLP, and the CNN's head).

For logits z of one sample and its true class y, with m = max_k z_k:

    softmax(z)_k  = exp(z_k - m) / sum_j exp(z_j - m)
    loss(z, y)    = logsumexp(z) - z_y = m + log sum_j exp(z_j - m) - z_y

Subtracting m changes neither and keeps exp from overflowing.

Dense layers, for a batch of B samples (one per row) and layers l = 1..L:

    a_0 = x                                         (B, fan_in of layer 1)
    z_l = a_{l-1} W_l + b_l,   a_l = relu(z_l)      hidden layers, l < L
    z_L = a_{L-1} W_L + b_L                         logits, (B, 10)
    loss = 1/B sum_i [ logsumexp(z_L[i]) - z_L[i, y_i] ]

Backward, with delta_l = d loss / d z_l:

    delta_L     = (softmax(z_L) - onehot(y)) / B
    dW_l        = a_{l-1}^T delta_l,     db_l = sum_i delta_l[i]
    delta_{l-1} = (delta_l W_l^T) * [a_{l-1} > 0]
    d loss / d x = delta_1 W_1^T                    only for a stack that is another network's head

The backward pass works in buffers allocated once, so a step is BLAS calls and in-place element-wise passes: one
matrix product per layer forward, one for each weight gradient, one per hidden delta.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.errors import ModelFileError


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


class Dense:
    """A stack of dense layers: weights (fan_in, fan_out) and biases, float32 unless built from float64 for checks.
    ReLU between layers, none after the last, which gives the logits."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.weights = [np.array(w) for w, _ in layers]
        self.biases = [np.array(b) for _, b in layers]

    def logits(self, x: np.ndarray) -> np.ndarray:
        a = x
        for weight, bias in zip(self.weights[:-1], self.biases[:-1]):
            a = np.maximum(a @ weight + bias, 0)
        return a @ self.weights[-1] + self.biases[-1]

    def parameters(self) -> tuple[list[np.ndarray], list[bool]]:
        """Every array the optimiser updates, and whether it takes weight decay (weights yes, biases no)."""
        return [*self.weights, *self.biases], [True] * len(self.weights) + [False] * len(self.biases)

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(weight, bias) per layer, as the network was built from."""
        return list(zip(self.weights, self.biases))

    def state(self) -> dict[str, np.ndarray]:
        named = {f"weight_{i}": w for i, w in enumerate(self.weights)}
        return named | {f"bias_{i}": b for i, b in enumerate(self.biases)}

    def save(self, path: str | Path) -> None:
        with atomic_write(path) as handle:
            np.savez(handle, **self.state())

    @classmethod
    def load(cls, path: str | Path) -> Dense:
        """Load weights saved by `save`, without pickle; any fault is a ModelFileError naming the file."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                count = len(archive.files) // 2
                layers = [(archive[f"weight_{i}"], archive[f"bias_{i}"]) for i in range(count)]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise ModelFileError(
                f"{path}: not a readable NumPy model ({error}); run `dvc repro` or `dvc pull`"
            ) from error
        for i, (weight, bias) in enumerate(layers):
            previous = layers[i - 1][0].shape[1] if i else weight.shape[0]
            if weight.ndim != 2 or bias.shape != (weight.shape[1],) or weight.shape[0] != previous:
                raise ModelFileError(f"{path}: layer {i} has inconsistent shapes {weight.shape}, {bias.shape}")
        return cls(layers)


class DenseBackprop:
    """Forward and backward passes of a Dense stack, in buffers sized for `batch_size` and reused by every step.
    With `input_gradient`, also d loss / d x = delta_1 W_1^T, in `input_delta`, for a network this stack is the head
    of."""

    def __init__(self, model: Dense, batch_size: int, input_gradient: bool = False) -> None:
        self.model = model
        dtype = model.weights[0].dtype
        widths = [w.shape[1] for w in model.weights]
        self.activations = [np.empty((batch_size, n), dtype) for n in widths]  # a_1..a_{L-1}, then z_L
        self.deltas = [np.empty((batch_size, n), dtype) for n in widths]
        self.relu_masks = [np.empty((batch_size, n), bool) for n in widths[:-1]]
        self.row_max = np.empty((batch_size, 1), dtype)
        self.row_sum = np.empty((batch_size, 1), dtype)
        self.rows = np.arange(batch_size)  # for picking each sample's true-class entry
        self.grad_weights = [np.empty_like(w) for w in model.weights]
        self.grad_biases = [np.empty_like(b) for b in model.biases]
        self.grads = [*self.grad_weights, *self.grad_biases]  # in the order of model.parameters()
        self.input_delta = np.empty((batch_size, model.weights[0].shape[0]), dtype) if input_gradient else None

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward and backward pass on one batch; fills `grads`; returns the mean loss."""
        n = len(y)
        weights, biases = self.model.weights, self.model.biases
        inputs = [x]  # a_0 .. a_{L-1}
        for layer, (weight, bias) in enumerate(zip(weights, biases)):
            z = np.matmul(inputs[-1], weight, out=self.activations[layer][:n])
            z += bias
            if layer < len(weights) - 1:
                np.maximum(z, 0, out=z)
                inputs.append(z)
        logits = z

        # loss = mean_i [log sum_k exp(z_ik - m_i) - (z_iy - m_i)], m_i the row maximum
        probs, peak = shifted_exp(logits, out=self.deltas[-1][:n], peak_out=self.row_max[:n])
        rows = self.rows[:n]
        total = np.sum(probs, axis=1, keepdims=True, out=self.row_sum[:n])
        loss = float(np.mean(np.log(total[:, 0]) - (logits[rows, y] - peak[:, 0])))

        delta = probs
        delta /= total
        delta[rows, y] -= 1.0
        delta *= 1.0 / n
        for layer in range(len(weights) - 1, -1, -1):
            np.matmul(inputs[layer].T, delta, out=self.grad_weights[layer])
            np.sum(delta, axis=0, out=self.grad_biases[layer])
            if layer:
                below = np.matmul(delta, weights[layer].T, out=self.deltas[layer - 1][:n])
                mask = np.greater(inputs[layer], 0, out=self.relu_masks[layer - 1][:n])
                np.multiply(below, mask, out=below)
                delta = below
        if self.input_delta is not None:
            np.matmul(delta, weights[0].T, out=self.input_delta[:n])
        return loss
