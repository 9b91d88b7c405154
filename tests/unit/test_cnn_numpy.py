"""The NumPy CNN computes what its equations say: every parameter's gradient against central differences in
float64, and mutants of the pooling route and the window bookkeeping that the check catches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch.errors import ModelFileError
from mnist_numpy_vs_torch.models import cnn, cnn_numpy
from mnist_numpy_vs_torch.models.numpy_common import cross_entropy

# kernel 3 and an odd side after the second convolution (13 - 2 = 11): the pool drops a row and a column
SMALL = cnn.Shape(channels=(2, 3), kernel=3, hidden=(5,))


def float64_network(seed: int = 4) -> cnn_numpy.NumpyCNN:
    rng = np.random.default_rng(seed)
    layers = cnn.initial_weights(SMALL, "kaiming_normal", seed)
    return cnn_numpy.NumpyCNN([(w.astype(np.float64), rng.normal(0.2, 0.1, b.shape)) for w, b in layers])


def batch(seed: int = 14, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 784)), rng.integers(0, 10, n)


def worst_relative_error(model: cnn_numpy.NumpyCNN, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Per parameter array: the largest |analytic - numeric| over the largest |numeric|, every entry checked."""
    backprop = cnn_numpy.Backprop(model, len(y))
    backprop(x, y)
    assert all(np.abs(g).max() > 1e-3 for g in backprop.grads), "every parameter must have a gradient to check"
    params, _ = model.parameters()
    names = [f"kernel_{i}" for i in range(2)] + [f"conv_bias_{i}" for i in range(2)] + ["w0", "w1", "b0", "b1"]
    eps, worst = 1e-6, {}
    for name, param, analytic in zip(names, params, backprop.grads):
        numeric = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            saved = param[i]
            param[i] = saved + eps
            plus = cross_entropy(model.logits(x), y).mean()
            param[i] = saved - eps
            minus = cross_entropy(model.logits(x), y).mean()
            param[i] = saved
            numeric[i] = (plus - minus) / (2 * eps)
        worst[name] = float(np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-12))
    return worst


def test_every_gradient_matches_central_differences_in_float64() -> None:
    x, y = batch()
    errors = worst_relative_error(float64_network(), x, y)
    assert max(errors.values()) < 1e-6, errors


def test_the_loss_is_the_mean_cross_entropy_of_the_logits() -> None:
    model, (x, y) = float64_network(), batch()
    assert cnn_numpy.Backprop(model, len(y))(x, y) == pytest.approx(cross_entropy(model.logits(x), y).mean(), rel=1e-12)


def test_pooling_ties_go_to_the_first_position_as_torch_routes_them() -> None:
    r = np.array([[[[1.0], [1.0]], [[0.5], [1.0]]]])  # one 2x2 window, three equal maxima
    dr = np.empty_like(r)
    cnn_numpy.pool_backward(r, cnn_numpy.pool(r), np.array([[[[7.0]]]]), dr)
    assert dr[0, :, :, 0].tolist() == [[7.0, 0.0], [0.0, 0.0]]


def wrong_route(r: np.ndarray, p: np.ndarray, dp: np.ndarray, dr: np.ndarray) -> None:
    """Mutant: every window's gradient to its top-left position, maximum or not."""
    dr[...] = 0
    dr[:, 0 : p.shape[1] * 2 : 2, 0 : p.shape[2] * 2 : 2] = dp


def shifted_windows(dcols: np.ndarray, da: np.ndarray, k: int) -> None:
    """Mutant: col2im one pixel off, each window's gradient added one column to the right of where it was read."""
    h, w = dcols.shape[3], dcols.shape[4]
    da[...] = 0
    for y in range(k):
        for x in range(k - 1):
            da[:, y : y + h, x + 1 : x + 1 + w, :] += dcols[y, x]


@pytest.mark.parametrize(
    ("function", "mutant", "caught_in"),
    [
        ("pool_backward", wrong_route, "kernel_0"),
        ("col2im", shifted_windows, "kernel_0"),
    ],
)
def test_a_mutant_fails_the_gradient_check(
    monkeypatch: pytest.MonkeyPatch, function: str, mutant, caught_in: str
) -> None:
    monkeypatch.setattr(cnn_numpy, function, mutant)
    x, y = batch()
    errors = worst_relative_error(float64_network(), x, y)
    assert errors[caught_in] > 1e-2, errors


def test_saved_weights_load_back_without_pickle(tmp_path: Path) -> None:
    model = cnn_numpy.NumpyCNN(cnn.initial_weights(SMALL, "kaiming_uniform", 3))
    model.save(tmp_path / "cnn.npz")
    loaded = cnn_numpy.NumpyCNN.load(tmp_path / "cnn.npz")
    assert all(np.array_equal(a, b) for a, b in zip(model.parameters()[0], loaded.parameters()[0]))
    (tmp_path / "cnn.npz").write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="cnn.npz: not a readable NumPy CNN"):
        cnn_numpy.NumpyCNN.load(tmp_path / "cnn.npz")


def test_the_default_shape_is_the_registered_architecture() -> None:
    shape = cnn.Shape(channels=(16, 32), kernel=5, hidden=())
    assert shape.sides() == [28, 12, 4] and shape.dense_sizes() == [512, 10]
    assert cnn.parameter_count(shape) == 16 * 25 + 16 + 32 * 16 * 25 + 32 + 512 * 10 + 10
