"""The convolutional network in NumPy alone: convolution, ReLU, max-pooling and the dense head, written out.

Activations are kept channels-last, a (B, H, W, C) array, so that a convolution's windows are one strided view.
For a convolution with kernel k, weights W (F, C, k, k) and bias b (F), on input a (B, H, W, C):

    cols[b, i, j] = a[b, i:i+k, j:j+k, :] as (k, k, C), flattened        (B H' W', k k C),  H' = H - k + 1
    z = cols W~^T + b,   W~[f] = W[f] as (k, k, C), flattened             (B, H', W', F)      valid, stride 1
    r = relu(z)
    p[b, u, v, f] = max_{dy, dx in {0, 1}} r[b, 2u + dy, 2v + dx, f]      (B, H'/2, W'/2, F)  2x2 max-pool

After the last pool, p is flattened in (channel, row, column) order, as torch.flatten orders (B, C, H, W), and fed
to the dense head, models/numpy_common.py's Dense stack, which ends in softmax cross-entropy.

Backward, from the head's d loss / d (flat input), unflattened into dp (B, H'/2, W'/2, F):

    dr[b, 2u + dy, 2v + dx, f] = dp[b, u, v, f]  at the first (dy, dx), row by row, that holds the window's maximum,
                                 0 elsewhere                                (the route torch's max-pool takes)
    dz = dr * [z > 0]
    dW~ = dz^T cols,   db = sum over b, i, j of dz                          one BLAS product per convolution
    dcols[y, x] = dz W~[:, y, x, :]                                        (k, k, B H' W', C)
    da[b, i + y, j + x, c] += dcols[y, x, b, i, j, c]  for every y, x < k   col2im: each window's gradient back to
                                                                            the pixels it read; none for the image

Windows are laid out (k, k, C), channels innermost as in the activations, so that copying them in (im2col) moves
runs of C contiguous numbers; their gradients come out (k, k, ...) so that each offset is added back in one pass.

Every buffer is allocated once per trainer for the batch size; the update is models/numpy_optim.py's.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE
from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import cnn
from mnist_numpy_vs_torch.models.cnn import POOL
from mnist_numpy_vs_torch.models.numpy_common import Dense, DenseBackprop
from mnist_numpy_vs_torch.params import CNNParams

INFERENCE_CHUNK = 500  # images per forward pass in `logits`: the windows of 2,000 would take hundreds of MB


def im2col(a: np.ndarray, k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Every k x k window of a (B, H, W, C) batch, copied out as (B, H', W', k, k, C)."""
    view = sliding_window_view(a, (k, k), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)  # (B, H', W', k, k, C), no copy
    if out is None:
        return view.copy()
    np.copyto(out, view)
    return out


def kernel_matrix(kernel: np.ndarray) -> np.ndarray:
    """W~: the kernels (F, C, k, k) as rows (F, k k C), in the windows' order."""
    return kernel.transpose(0, 2, 3, 1).reshape(len(kernel), -1)


def pool(r: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """2x2 max-pool, stride 2, of (B, H, W, C); an odd last row or column is dropped, as torch drops it."""
    h, w = r.shape[1] // POOL * POOL, r.shape[2] // POOL * POOL
    top = np.maximum(r[:, 0:h:POOL, 0:w:POOL], r[:, 0:h:POOL, 1:w:POOL])
    return np.maximum(top, np.maximum(r[:, 1:h:POOL, 0:w:POOL], r[:, 1:h:POOL, 1:w:POOL], out=out), out=out)


def pool_backward(r: np.ndarray, p: np.ndarray, dp: np.ndarray, dr: np.ndarray) -> None:
    """dr = dp routed to the first position of each window (row by row) that holds its maximum p; 0 elsewhere.
    Ties are common (a uniform background gives equal neighbours), so "first" matters."""
    h, w = p.shape[1] * POOL, p.shape[2] * POOL
    if h < dr.shape[1] or w < dr.shape[2]:
        dr[...] = 0  # the odd last row or column the pool dropped
    taken, here = np.zeros(p.shape, bool), np.empty(p.shape, bool)
    for dy in range(POOL):
        for dx in range(POOL):
            np.equal(r[:, dy:h:POOL, dx:w:POOL], p, out=here)
            np.greater(here, taken, out=here)  # holds the maximum, and no earlier position did
            np.multiply(dp, here, out=dr[:, dy:h:POOL, dx:w:POOL])
            taken |= here


def col2im(dcols: np.ndarray, da: np.ndarray, k: int) -> None:
    """da[b, i + y, j + x, c] = sum of dcols[y, x, b, i, j, c] over the windows that read pixel (i + y, j + x).
    dcols comes (k, k, B, H', W', C): each (y, x) a contiguous block, added in one pass."""
    h, w = dcols.shape[3], dcols.shape[4]
    da[...] = 0
    for y in range(k):
        for x in range(k):
            da[:, y : y + h, x : x + w, :] += dcols[y, x]


class NumpyCNN:
    """The parameters: convolutions (F, C, k, k) with biases, and the dense head."""

    def __init__(self, layers: cnn.Layers) -> None:
        convolutions = [(w, b) for w, b in layers if w.ndim == 4]
        self.kernels = [np.array(w) for w, _ in convolutions]
        self.conv_biases = [np.array(b) for _, b in convolutions]
        self.head = Dense(layers[len(convolutions) :])
        self.k = self.kernels[0].shape[-1]

    def features(self, x: np.ndarray) -> np.ndarray:
        """(n, 784) standardised images -> (n, C s s) flattened features, allocating as it goes."""
        a = x.reshape(len(x), IMAGE_SIDE, IMAGE_SIDE, 1)
        for kernel, bias in zip(self.kernels, self.conv_biases):
            cols = im2col(a, self.k)
            z = cols.reshape(-1, cols[0, 0, 0].size) @ kernel_matrix(kernel).T + bias
            a = pool(np.maximum(z.reshape(*cols.shape[:3], len(kernel)), 0))
        return a.transpose(0, 3, 1, 2).reshape(len(x), -1)

    def logits(self, x: np.ndarray) -> np.ndarray:
        chunks = [self.features(x[s : s + INFERENCE_CHUNK]) for s in range(0, len(x), INFERENCE_CHUNK)]
        return self.head.logits(np.concatenate(chunks))

    def parameters(self) -> tuple[list[np.ndarray], list[bool]]:
        """Every array the optimiser updates, and whether it takes weight decay (weights yes, biases no)."""
        params, decays = self.head.parameters()
        return [*self.kernels, *self.conv_biases, *params], [True] * len(self.kernels) + [False] * len(
            self.conv_biases
        ) + decays

    def layers(self) -> cnn.Layers:
        """(weight, bias) per layer, as the network was built from."""
        return [*zip(self.kernels, self.conv_biases), *self.head.layers()]

    def state(self) -> dict[str, np.ndarray]:
        named = {f"kernel_{i}": w for i, w in enumerate(self.kernels)}
        return named | {f"conv_bias_{i}": b for i, b in enumerate(self.conv_biases)} | self.head.state()

    def save(self, path: str | Path) -> None:
        with atomic_write(path) as handle:
            np.savez(handle, **self.state())

    @classmethod
    def load(cls, path: str | Path) -> NumpyCNN:
        """Load weights saved by `save`, without pickle; any fault is a ModelFileError naming the file."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                convs = sum(name.startswith("kernel_") for name in archive.files)
                dense = sum(name.startswith("weight_") for name in archive.files)
                layers = [(archive[f"kernel_{i}"], archive[f"conv_bias_{i}"]) for i in range(convs)]
                layers += [(archive[f"weight_{i}"], archive[f"bias_{i}"]) for i in range(dense)]
            model = cls(layers)
            model.logits(np.zeros((1, IMAGE_SIDE * IMAGE_SIDE), model.kernels[0].dtype))  # the shapes fit together
        except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as error:
            raise ModelFileError(
                f"{path}: not a readable NumPy CNN ({error}); run `dvc repro` or `dvc pull`"
            ) from error
        return model


def build(section: CNNParams, seed: int) -> NumpyCNN:
    """The network of `seed`, from the initial weights both frameworks share."""
    return NumpyCNN(cnn.initial_weights(cnn.shape_of(section), section.init, seed))


class Backprop:
    """Forward and backward passes of a NumpyCNN, in buffers sized for `batch_size` and reused by every step."""

    def __init__(self, model: NumpyCNN, batch_size: int) -> None:
        self.model, k = model, model.k
        dtype = model.kernels[0].dtype
        side, inputs = IMAGE_SIDE, 1
        self.cols, self.z, self.dz, self.dcols, self.pooled, self.da = [], [], [], [], [], []
        self.matrices, self.transposed_grads, self.blocks = [], [], []
        for kernel in model.kernels:
            f, out = kernel.shape[0], side - k + 1
            self.cols.append(np.empty((batch_size, out, out, k, k, inputs), dtype))  # the windows, copied: im2col
            self.matrices.append(np.empty((f, k * k * inputs), dtype))  # W~
            self.transposed_grads.append(np.empty((k * k * inputs, f), dtype))  # dW~^T
            self.z.append(np.empty((batch_size, out, out, f), dtype))  # z, then r = relu(z) in place
            self.dz.append(np.empty((batch_size, out, out, f), dtype))
            self.dcols.append(np.empty((k, k, batch_size, out, out, inputs), dtype))
            self.blocks.append(np.empty((k * k, f, inputs), dtype))  # W~ as k k blocks (F, C)
            self.pooled.append(np.empty((batch_size, out // POOL, out // POOL, f), dtype))
            self.da.append(np.empty((batch_size, side, side, inputs), dtype))  # d loss / d (this layer's input)
            side, inputs = out // POOL, f
        self.flat = np.empty((batch_size, inputs, side, side), dtype)  # the last pool's output, (C, s, s) ordered
        self.dflat = np.empty((batch_size, side, side, inputs), dtype)  # d loss / d (last pool's output)
        self.head = DenseBackprop(model.head, batch_size, input_gradient=True)
        self.grad_kernels = [np.empty_like(w) for w in model.kernels]
        self.grad_conv_biases = [np.empty_like(b) for b in model.conv_biases]
        self.grads = [*self.grad_kernels, *self.grad_conv_biases, *self.head.grads]  # as model.parameters() orders

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward and backward pass on one batch; fills `grads`; returns the mean loss."""
        n, k, model = len(y), self.model.k, self.model
        a = x.reshape(n, IMAGE_SIDE, IMAGE_SIDE, 1)
        for layer, (kernel, bias) in enumerate(zip(model.kernels, model.conv_biases)):
            cols = im2col(a, k, out=self.cols[layer][:n])
            z, matrix = self.z[layer][:n], self.matrices[layer]
            np.copyto(matrix, kernel_matrix(kernel))
            np.matmul(cols.reshape(-1, matrix.shape[1]), matrix.T, out=z.reshape(-1, len(kernel)))
            z += bias
            np.maximum(z, 0, out=z)  # r = relu(z); r > 0 exactly where z > 0
            a = pool(z, out=self.pooled[layer][:n])
        flat = self.flat[:n]
        np.copyto(flat, a.transpose(0, 3, 1, 2))
        loss = self.head(flat.reshape(n, -1), y)

        dp = self.dflat[:n]
        np.copyto(dp, self.head.input_delta[:n].reshape(flat.shape).transpose(0, 2, 3, 1))
        for layer in range(len(model.kernels) - 1, -1, -1):
            kernel, r, dz = model.kernels[layer], self.z[layer][:n], self.dz[layer][:n]
            f = kernel.shape[0]
            pool_backward(r, self.pooled[layer][:n], dp, dz)
            np.multiply(dz, r > 0, out=dz)
            cols, matrix = self.cols[layer][:n], self.matrices[layer]
            dz2 = dz.reshape(-1, f)
            grad = np.matmul(cols.reshape(len(dz2), -1).T, dz2, out=self.transposed_grads[layer])  # dW~^T
            np.copyto(self.grad_kernels[layer], grad.reshape(k, k, -1, f).transpose(3, 2, 0, 1))  # (F, C, k, k)
            np.sum(dz2, axis=0, out=self.grad_conv_biases[layer])
            if layer:
                dcols, blocks = self.dcols[layer][:, :, :n], self.blocks[layer]
                np.copyto(blocks, matrix.reshape(f, k * k, -1).transpose(1, 0, 2))
                for block, out in zip(blocks, dcols.reshape(k * k, len(dz2), -1)):  # k k products (N, F) (F, C)
                    np.matmul(dz2, block, out=out)
                dp = self.da[layer][:n]  # the input of layer l is the pooled output of layer l - 1
                col2im(dcols, dp, k)
        return loss
