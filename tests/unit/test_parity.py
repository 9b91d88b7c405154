"""NumPy and PyTorch compute the same thing: same start, same batches, same steps, same weights."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import TrainingDiverged
from mnist_numpy_vs_torch.models import numpy_nn, numpy_optim, torch_nn
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.models.initial import initial_state
from mnist_numpy_vs_torch.nn import batchnorm, conv
from mnist_numpy_vs_torch.nn.loss import softmax
from mnist_numpy_vs_torch.params import Recipe, recipes
from mnist_numpy_vs_torch.training import batches, loop, numpy_steps, torch_steps
from tests import mutants
from tests.project import PARAMS

RECIPES = recipes(PARAMS)  # each architecture's params.yaml section


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_both_frameworks_build_the_same_layers_from_the_same_initial_weights(architecture: str) -> None:
    numpy_network = numpy_steps.network(ARCHITECTURES[architecture], RECIPES[architecture], seed=7)
    torch_network = torch_steps.network(ARCHITECTURES[architecture], RECIPES[architecture], seed=7)
    assert repr(numpy_network) == repr(torch_network), "printed, the two are the same layers in the same order"
    torch_state = torch_nn.state_arrays(torch_network)
    assert list(torch_state) == list(numpy_network.state_dict())
    assert all(np.array_equal(w, torch_state[name]) for name, w in numpy_network.state_dict().items())


def start(architecture: str, dtype: type, recipe: Recipe | None = None) -> dict[str, np.ndarray]:
    """The architecture's (or `recipe`'s) initial state for seed 0 as float32 numbers in `dtype`, so that a float32
    run and a float64 run start from the very same weights; counters stay integers."""
    recipe = recipe or RECIPES[architecture]
    state = initial_state(ARCHITECTURES[architecture].spec(recipe), recipe.init, seed=0)
    return {name: w.astype(np.float32).astype(dtype) if w.dtype.kind == "f" else w for name, w in state.items()}


def fifty_steps_both_ways(
    architecture: str,
    data: dataset.Inputs,
    lrs: np.ndarray,
    dtype: type = np.float32,
    recipe: Recipe | None = None,
    numpy_recipe: Recipe | None = None,
    shards: int = 1,
) -> tuple[np.ndarray, np.ndarray, object, torch.nn.Sequential, list]:
    """50 steps (one per learning rate) of the architecture's optimiser, or `recipe`'s, from the default initial
    weights, seed 0, on the first real batches of the epoch: models/numpy_optim.py's in NumPy (`numpy_recipe`'s, to
    pit a different one against torch's; its convolutions split into `shards`), torch.optim's in PyTorch."""
    recipe = recipe or RECIPES[architecture]
    x, y = data.x.astype(dtype, copy=False), data.y
    numpy_losses, numpy_model, state = fifty_numpy_steps(architecture, x, y, lrs, numpy_recipe or recipe, shards)
    torch_steps.configure(threads=1, seed=0)
    torch_model = torch_nn.build(ARCHITECTURES[architecture].spec(recipe), state)
    batches.seed_masks(torch_model, seed=0)
    torch_losses = torch_steps.trainer(torch_model, recipe).train_epoch(
        torch.from_numpy(x), torch.from_numpy(y), batches.epoch_order(len(y), seed=0, epoch=0), recipe.batch_size, lrs
    )
    return numpy_losses, torch_losses, numpy_model, torch_model, state


def fifty_numpy_steps(
    architecture: str, x: np.ndarray, y: np.ndarray, lrs: np.ndarray, recipe: Recipe, shards: int = 1
) -> tuple[np.ndarray, nn.Sequential, dict[str, np.ndarray]]:
    """The NumPy half of fifty_steps_both_ways, in x's dtype: its losses, its model and the initial state both
    start from."""
    state = start(architecture, x.dtype, recipe)
    numpy_model = numpy_nn.build(ARCHITECTURES[architecture].spec(recipe), state)
    batches.seed_masks(numpy_model, seed=0)
    order = batches.epoch_order(len(y), seed=0, epoch=0)
    steps = numpy_steps.trainer(numpy_model, recipe, shards=shards, threads=shards)
    losses = steps.train_epoch(x, y, order, recipe.batch_size, lrs)
    return losses, numpy_model, state


def largest_parameter_difference(numpy_model: nn.Sequential, torch_model: torch.nn.Sequential) -> float:
    numpy_state, torch_state = numpy_model.state_dict(), torch_nn.state_arrays(torch_model)
    assert list(numpy_state) == list(torch_state)
    assert all(numpy_state[name].shape == torch_state[name].shape for name in numpy_state)
    return max(float(np.abs(numpy_state[name] - torch_state[name]).max()) for name in numpy_state)


@pytest.mark.parametrize("shards", sorted({1, PARAMS.train_numpy.shards}))
@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_fifty_steps_at_the_default_learning_rate_agree_in_float64(
    prepared_dir: Path, architecture: str, shards: int
) -> None:
    """The proof that both compute the same thing: the default schedule, momentum and weight decay, in float64,
    where rounding is too small to matter, with the NumPy convolutions in one pass and split as the stage splits
    them (DataParallel). Measured here: losses and weights agree to about 1e-15."""
    data = dataset.load_inputs(prepared_dir, "train")
    lrs = loop.run_learning_rates(RECIPES[architecture], len(data))[0, :50]
    numpy_losses, torch_losses, numpy_model, torch_model, _ = fifty_steps_both_ways(
        architecture, data, lrs, np.float64, shards=shards
    )
    assert all(w.dtype == np.float64 for w in numpy_model.state_dict().values())
    assert np.abs(numpy_losses - torch_losses).max() < 1e-9
    assert largest_parameter_difference(numpy_model, torch_model) < 1e-9


U = 2.0**-24  # float32's unit roundoff: a float32 operation's result is within a relative U of the exact one


def gamma(n: int) -> float:
    """A sum of n products computed in float32 is within gamma(n) * (the sum of their absolute values) of the exact
    sum, in any order (Higham, Accuracy and Stability of Numerical Algorithms, 2002, section 3.1)."""
    return n * U / (1 - n * U)


def first_sgd_step_error_bound(
    x: np.ndarray, y: np.ndarray, state: dict[str, np.ndarray], lr: float, weight_decay: float
) -> dict[str, np.ndarray]:
    """For each weight and bias of the MLP (by state_dict name), how far its first float32 SGD step from `state`
    (float32 numbers) on the batch (x, y) can land from the exact step, to first order in U, by the MLP's equations
    (nn.Linear's, with W1 = the first layer's weight^T, (in, out)), each operation's rounding error carried
    through with absolute values (E_ is the bound on an array's error):

        z1 = x W1 + b1           E_z1 = gamma(785) (|x| |W1| + |b1|)
        h = relu(z1)             E_h = E_z1                          (relu moves nothing further apart)
        z2 = h W2 + b2           E_z2 = gamma(513) (|h| |W2| + |b2|) + E_h |W2|
        p = softmax(z2)          E_p = p (2 max_k E_z2 + 14 U)       (|dp_i| <= p_i (|dz_i| + sum_j p_j |dz_j|))
        d2 = (p - onehot) / B    E_d2 = (E_p + U |p - onehot|) / B
        gW2 = h^T d2             gamma(B) |h|^T |d2| + E_h^T |d2| + |h|^T E_d2, and gb2 likewise
        dh = d2 W2^T             E_dh = gamma(10) |d2| |W2|^T + E_d2 |W2|^T
        d1 = dh [z1 > 0]         E_d1 = E_dh, or |dh| + E_dh where |z1| <= E_z1 (float32 may take the other branch)
        gW1 = x^T d1             gamma(B) |x|^T |d1| + |x|^T E_d1, and gb1 likewise
        W' = W - lr (g + wd W)   lr (E_g + 2 U |g + wd W|) + U |W'|

    The bound holds for any summation order, so for NumPy's BLAS and torch's alike."""
    (w1_name, w1), (b1_name, b1), (w2_name, w2), (b2_name, b2) = state.items()
    w1, w2 = w1.T, w2.T  # (in, out), as x W^T reads them
    batch = len(y)
    z1 = x @ w1 + b1
    e_z1 = gamma(x.shape[1] + 1) * (np.abs(x) @ np.abs(w1) + np.abs(b1))
    h = np.maximum(z1, 0)
    z2 = h @ w2 + b2
    e_z2 = gamma(w2.shape[0] + 1) * (h @ np.abs(w2) + np.abs(b2)) + e_z1 @ np.abs(w2)
    p = softmax(z2)
    e_p = p * (2 * e_z2.max(axis=1, keepdims=True) + 14 * U)
    residual = p - np.eye(p.shape[1])[y]
    d2, e_d2 = residual / batch, (e_p + U * np.abs(residual)) / batch
    dh, e_dh = d2 @ w2.T, gamma(w2.shape[1]) * np.abs(d2) @ np.abs(w2.T) + e_d2 @ np.abs(w2.T)
    live = z1 > 0
    d1 = dh * live
    e_d1 = np.where(np.abs(z1) <= e_z1, np.abs(dh) + e_dh, e_dh * live)
    gradients = {
        "w1": (x.T @ d1, gamma(batch) * np.abs(x.T) @ np.abs(d1) + np.abs(x.T) @ e_d1),
        "b1": (d1.sum(axis=0), gamma(batch) * np.abs(d1).sum(axis=0) + e_d1.sum(axis=0)),
        "w2": (h.T @ d2, gamma(batch) * h.T @ np.abs(d2) + e_z1.T @ np.abs(d2) + h.T @ e_d2),
        "b2": (d2.sum(axis=0), gamma(batch) * np.abs(d2).sum(axis=0) + e_d2.sum(axis=0)),
    }
    bounds = {}
    for name, param, decay, key in (
        ("w1", w1, weight_decay, w1_name),
        ("b1", b1, 0.0, b1_name),
        ("w2", w2, weight_decay, w2_name),
        ("b2", b2, 0.0, b2_name),
    ):
        g, e_g = gradients[name]
        step = g + decay * param
        bounds[key] = (lr * (e_g + 2 * U * np.abs(step)) + U * np.abs(param - lr * step)).T  # as the state lays it
    return bounds


def test_the_first_float32_sgd_step_is_the_float64_one_within_the_bound_of_its_arithmetic(prepared_dir: Path) -> None:
    """The MLP's float32 SGD step, NumPy's and PyTorch's, against the float64 step from the same weights, entry by
    entry, within first_sgd_step_error_bound: a bound from the arithmetic, whichever kernels sum in whichever order.
    One step: beyond it a bound must also follow the dynamics, which amplify any difference (a ReLU taken the other
    way moves a unit's weights for good), and the float64 test above shows the trajectory. The CNN's float32 forward
    and backward passes are checked in the same way by the first Adam step below."""
    data = dataset.load_inputs(prepared_dir, "train")
    recipe = RECIPES["mlp"]
    lr = recipe.lr
    first = batches.epoch_order(len(data.y), seed=0, epoch=0)[: recipe.batch_size]
    x = data.x[first].astype(np.float32).astype(np.float64)
    bound = first_sgd_step_error_bound(x, data.y[first], start("mlp", np.float64), lr, recipe.weight_decay)
    one_step = np.full(1, lr)
    _, exact, initial = fifty_numpy_steps("mlp", data.x.astype(np.float64), data.y, one_step, recipe)
    *_, float32, torch_model, _ = fifty_steps_both_ways("mlp", data, one_step, np.float32, recipe)
    want = exact.state_dict()
    for framework, state in (("numpy", float32.state_dict()), ("torch", torch_nn.state_arrays(torch_model))):
        for name, got in state.items():
            assert got.dtype == np.float32 and got.shape == want[name].shape
            error = np.abs(got - want[name])
            assert (error <= bound[name]).all(), f"{framework} {name}: {error.max()} over its bound"
    for name, limit in bound.items():  # a bound that tests something: well below the step
        assert np.median(limit) < 0.1 * np.median(np.abs(want[name] - initial[name]))


# Adam and AdamW: 50 steps at 1e-3, the usual Adam learning rate, with the architecture's weight decay (5e-4) and
# with AdamW's usual 1e-2, so that where the decay enters matters.
ADAPTIVE = {
    "adam": {"optimizer": "adam", "lr": 1.0e-3},
    "adamw": {"optimizer": "adamw", "lr": 1.0e-3, "weight_decay": 1.0e-2},
}


# The CNN's Adam runs take seconds each: with the slow tests. The MLP's keep the proof in the quick suite.
ADAPTIVE_ARCHITECTURES = ["mlp", pytest.param("cnn", marks=pytest.mark.slow)]


def adaptive(architecture: str, optimizer: str) -> Recipe:
    return dataclasses.replace(RECIPES[architecture], **ADAPTIVE[optimizer])


@functools.cache
def adaptive_float64_run(prepared_dir: Path, architecture: str, optimizer: str) -> tuple:
    """fifty_steps_both_ways in float64 for `optimizer`, once per session: the next two tests share it."""
    recipe = adaptive(architecture, optimizer)
    data = dataset.load_inputs(prepared_dir, "train")
    return fifty_steps_both_ways(architecture, data, np.full(50, recipe.lr), np.float64, recipe)


@pytest.mark.parametrize("architecture", ADAPTIVE_ARCHITECTURES)
@pytest.mark.parametrize("optimizer", list(ADAPTIVE))
def test_fifty_adam_steps_agree_with_torch_optim_in_float64(
    prepared_dir: Path, architecture: str, optimizer: str
) -> None:
    """torch.optim.Adam and AdamW, unchanged, against models/numpy_optim.py: losses and every weight within 1e-9."""
    numpy_losses, torch_losses, numpy_model, torch_model, _ = adaptive_float64_run(
        prepared_dir, architecture, optimizer
    )
    assert np.abs(numpy_losses - torch_losses).max() < 1e-9
    assert largest_parameter_difference(numpy_model, torch_model) < 1e-9
    assert numpy_losses[-10:].mean() < numpy_losses[0] / 2, "the 50 steps must actually train"


# Adam's first step moves a weight by lr g / (|g| + eps). Where the float64 gradient is at least CLEAR * eps, and the
# float32 one is within CLEAR / 2 * eps of it (5e-7: a float32 sum of these gradients' sizes rounds by ~1e-9), both
# have the same sign and at least CLEAR / 2 * eps of magnitude, so the two steps differ by at most
#     lr |g/(|g|+eps) - g'/(|g'|+eps)| = lr eps ||g| - |g'|| / ((|g|+eps)(|g'|+eps)) <= lr / (CLEAR / 2 + 1).
# Entries nearer to cancelling are left out: there eps decides the step, and float32's rounding can swing it by up
# to lr. After the first step the difference is no longer bounded by the arithmetic of one step: a swung entry, a
# ReLU or a max-pool tie taken the other way is amplified by the dynamics (measured on one machine: the CNN's AdamW,
# one entry off by 9e-5 at step 1, most of its entries off by more than 1e-6 at step 20).
CLEAR = 100


def first_gradients(architecture: str, recipe: Recipe, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The float64 network's first-step gradient g of every parameter, as Adam sees it (with Adam's L2 decay,
    without AdamW's decoupled one), by state_dict name."""
    network = numpy_nn.build(ARCHITECTURES[architecture].spec(recipe), start(architecture, np.float64, recipe))
    batches.seed_masks(network, seed=0)
    first = batches.epoch_order(len(y), seed=0, epoch=0)[: recipe.batch_size]
    loss = nn.CrossEntropyLoss()
    loss.forward(network.forward(x[first].astype(np.float64)), y[first])
    network.backward(loss.backward())
    coupled = recipe.weight_decay if recipe.optimizer == "adam" else 0.0
    _, decayed = network.parameters()
    return {
        name: grad + coupled * value if decays else grad
        for (name, value, grad), decays in zip(network.named_parameters(), decayed)
    }


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
@pytest.mark.parametrize("optimizer", list(ADAPTIVE))
def test_the_first_float32_adam_step_is_the_float64_one_within_the_bound_of_its_arithmetic(
    prepared_dir: Path, architecture: str, optimizer: str
) -> None:
    """NumPy's float32 Adam and AdamW step against float64's, entry by entry, within lr / (CLEAR / 2 + 1), leaving
    out the entries whose gradient is within CLEAR * eps of cancelling (measured here: 0.07% to 1.3% of them); for
    the MLP, PyTorch's float32 step too, within twice the bound of NumPy's."""
    data = dataset.load_inputs(prepared_dir, "train")
    recipe = adaptive(architecture, optimizer)
    bound = recipe.lr / (CLEAR / 2 + 1)
    gradients = first_gradients(architecture, recipe, data.x, data.y)
    clear = {name: np.abs(g) >= CLEAR * recipe.eps for name, g in gradients.items()}
    one_step = np.full(1, recipe.lr)
    _, float64, _ = fifty_numpy_steps(architecture, data.x.astype(np.float64), data.y, one_step, recipe)
    if architecture == "mlp":
        *_, float32, torch_model, initial = fifty_steps_both_ways(architecture, data, one_step, np.float32, recipe)
        torch_state, numpy_state = torch_nn.state_arrays(torch_model), float32.state_dict()
        twin = [np.abs(torch_state[name] - numpy_state[name])[kept].max() for name, kept in clear.items()]
        assert max(twin) <= 2 * bound
    else:
        _, float32, initial = fifty_numpy_steps(architecture, data.x.astype(np.float32), data.y, one_step, recipe)
    got, want = float32.state_dict(), float64.state_dict()
    assert all(value.dtype == np.float32 for value in got.values())
    assert max(float(np.abs(got[name] - want[name])[kept].max()) for name, kept in clear.items()) <= bound
    kept_share = sum(kept.sum() for kept in clear.values()) / sum(kept.size for kept in clear.values())
    assert 1 - kept_share < 0.05, "most entries compared"
    first = next(iter(got))
    assert np.abs(got[first] - initial[first]).max() > 10 * bound, "the step moved the weights far past the bound"


def eps_inside_the_square_root(v: np.ndarray, correction2: float, eps: float, out: np.ndarray) -> np.ndarray:
    """sqrt(v^ + eps): a common misreading of the paper."""
    np.divide(v, correction2, out=out)
    out += eps
    return np.sqrt(out, out=out)


MUTANTS = {
    # name: (optimizer, what models/numpy_optim.py gets instead, the NumPy recipe's optimizer)
    "eps inside the square root": ("adam", ("denominator", eps_inside_the_square_root), "adam"),
    "no bias correction": ("adam", ("bias_corrections", lambda betas, t: (1.0, 1.0)), "adam"),
    "decay coupled where AdamW decouples it": ("adamw", None, "adam"),
    "decay decoupled where Adam couples it": ("adam", None, "adamw"),
}


@pytest.mark.parametrize("architecture", ADAPTIVE_ARCHITECTURES)
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_adam_parity_fails_for_a_mutant(
    prepared_dir: Path, monkeypatch: pytest.MonkeyPatch, architecture: str, mutant: str
) -> None:
    """Each mistake that hand-written Adams make moves the weights by far more than the float64 test's 1e-9 away
    from torch.optim's (the float64 run the tests above share)."""
    optimizer, patch, numpy_optimizer = MUTANTS[mutant]
    *_, torch_model, _ = adaptive_float64_run(prepared_dir, architecture, optimizer)
    if patch:
        monkeypatch.setattr(numpy_optim, *patch)
    recipe = dataclasses.replace(adaptive(architecture, optimizer), optimizer=numpy_optimizer)
    data = dataset.load_inputs(prepared_dir, "train")
    x = data.x.astype(np.float64)
    _, numpy_model, _ = fifty_numpy_steps(architecture, x, data.y, np.full(50, recipe.lr), recipe)
    assert largest_parameter_difference(numpy_model, torch_model) > 1e-6


def test_parity_fails_if_the_optimiser_differs(prepared_dir: Path) -> None:
    """The float32 check has teeth: the same first step, but torch without weight decay, lands outside the bound."""
    data = dataset.load_inputs(prepared_dir, "train")
    recipe = RECIPES["mlp"]
    order = batches.epoch_order(len(data.y), seed=0, epoch=0)
    first = order[: recipe.batch_size]
    _, exact, state = fifty_numpy_steps("mlp", data.x.astype(np.float64), data.y, np.full(1, recipe.lr), recipe)
    x = data.x[first].astype(np.float64)
    bound = first_sgd_step_error_bound(x, data.y[first], state, recipe.lr, recipe.weight_decay)
    torch_model = torch_nn.build(ARCHITECTURES["mlp"].spec(recipe), start("mlp", np.float32))
    torch_steps.trainer(torch_model, dataclasses.replace(recipe, weight_decay=0.0)).train_epoch(
        torch.from_numpy(data.x), torch.from_numpy(data.y), order, recipe.batch_size, np.full(1, recipe.lr)
    )
    got, want = torch_nn.state_arrays(torch_model), exact.state_dict()
    outside = {name: float((np.abs(got[name] - want[name]) > limit).mean()) for name, limit in bound.items()}
    assert outside["0.weight"] > 0.5, f"share of each array's entries outside the bound: {outside}"  # most of W1's


def test_parity_fails_for_a_numpy_cnn_with_flipped_kernels(prepared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A convolution that flips its kernels (true convolution instead of torch's cross-correlation) is consistent
    with its own gradients, so only the comparison with the twin can catch it: and it does, at the first step."""
    flipped = conv.kernel_matrix
    monkeypatch.setattr(conv, "kernel_matrix", lambda kernel: flipped(kernel[:, :, ::-1, ::-1]))
    data = dataset.load_inputs(prepared_dir, "train")
    numpy_losses, torch_losses, *_ = fifty_steps_both_ways("cnn", data, np.full(1, 0.01), np.float64)
    assert abs(numpy_losses[0] - torch_losses[0]) > 1e-6


def test_parity_fails_for_one_channel_windows_read_transposed(
    prepared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first convolution's windows copied out with rows and columns swapped: forward and backward agree with each
    other (it is a convolution with transposed kernels), so again only the twin catches it."""
    monkeypatch.setattr(conv, "im2col_columns", windows_transposed)
    data = dataset.load_inputs(prepared_dir, "train")
    numpy_losses, torch_losses, *_ = fifty_steps_both_ways("cnn", data, np.full(1, 0.01), np.float64)
    assert abs(numpy_losses[0] - torch_losses[0]) > 1e-6


def windows_transposed(a: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    np.copyto(out, sliding_window_view(a[..., 0], (k, k), axis=(1, 2)).transpose(4, 3, 0, 1, 2))
    return out


def test_auto_device_is_cuda_exactly_when_cuda_is_available() -> None:
    assert torch_steps.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert torch_steps.resolve_device("cpu").type == "cpu"


def test_torch_divergence_stops_with_framework_epoch_and_step(prepared_dir: Path) -> None:
    data, val = dataset.load_inputs(prepared_dir, "train"), dataset.load_inputs(prepared_dir, "val")
    images = dataset.load_split(prepared_dir, "train").images
    recipe = dataclasses.replace(
        PARAMS.mlp, hidden=(32,), epochs=1, batch_size=256, lr=1.0e4, schedule="constant", weight_decay=0.0
    )
    model = torch_steps.network(ARCHITECTURES["mlp"], recipe, seed=0)
    trainer = torch_steps.trainer(model, recipe)
    y = torch.from_numpy(data.y)
    with pytest.raises(TrainingDiverged, match=r"mlp torch training diverged \(seed 0\): loss is nan at epoch 1"):
        loop.fit(
            "mlp torch",
            lambda x, order, lrs: trainer.train_epoch(torch.from_numpy(x), y, order, 256, lrs),
            lambda: torch_nn.evaluate(model, torch.from_numpy(val.x), torch.from_numpy(val.y)),
            inputs=loop.EpochInputs(images, dataset.load_normaliser(prepared_dir), max_shift=0),
            recipe=recipe,
            seed=0,
        )


# Batch normalisation and dropout. The CNN with both and a hidden layer has BatchNorm2d, BatchNorm1d and two
# Dropouts; the MLP has one Dropout.
NORMALISED = {
    "cnn": dataclasses.replace(RECIPES["cnn"], batch_norm=True, dropout=0.25, hidden=(32,)),
    "mlp": dataclasses.replace(RECIPES["mlp"], dropout=0.2),
}


@functools.cache
def normalised_float64_run(prepared_dir: Path, architecture: str, shards: int = 1) -> tuple:
    """50 float64 steps of both frameworks at the default schedule, with batch normalisation and dropout, and each
    model's evaluation-mode loss and accuracy on 2,000 validation digits; once per session."""
    recipe = NORMALISED[architecture]
    data = dataset.load_inputs(prepared_dir, "train")
    lrs = loop.run_learning_rates(recipe, len(data))[0, :50]
    run = fifty_steps_both_ways(architecture, data, lrs, np.float64, recipe=recipe, shards=shards)
    return run, evaluations(prepared_dir, run[2], run[3])


def evaluations(prepared_dir: Path, numpy_model: nn.Sequential, torch_model: torch.nn.Sequential) -> tuple:
    val = dataset.load_inputs(prepared_dir, "val")
    x, y = val.x[:2000].astype(np.float64), val.y[:2000]
    torch_scores = torch_nn.evaluate(torch_model, torch.from_numpy(x), torch.from_numpy(y))
    return numpy_nn.evaluate(numpy_model, x, y), torch_scores


@pytest.mark.parametrize(("architecture", "shards"), [("mlp", 1), ("cnn", 1), ("cnn", PARAMS.train_numpy.shards)])
def test_fifty_steps_with_batch_normalisation_and_dropout_agree_in_float64(
    prepared_dir: Path, architecture: str, shards: int
) -> None:
    """Same masks, same batch statistics: losses, every weight and bias, and the running means and variances agree
    within 1e-9 (measured here: about 1e-15), and so do the two evaluations, which use the running statistics. With
    the NumPy convolutions split as the stage splits them, the shards' statistics are synchronised."""
    (numpy_losses, torch_losses, numpy_model, torch_model, _), (numpy_scores, torch_scores) = normalised_float64_run(
        prepared_dir, architecture, shards
    )
    assert np.abs(numpy_losses - torch_losses).max() < 1e-9
    assert largest_parameter_difference(numpy_model, torch_model) < 1e-9  # the state_dict: running statistics too
    buffers = [name for name in numpy_model.state_dict() if "running" in name]
    assert len(buffers) == (6 if architecture == "cnn" else 0)
    assert all(numpy_model.state_dict()[f"{name.split('.')[0]}.num_batches_tracked"] == 50 for name in buffers)
    assert abs(numpy_scores[0] - torch_scores[0]) < 1e-9 and numpy_scores[1] == torch_scores[1]
    assert numpy_losses[-10:].mean() < numpy_losses[0] / 2, "the 50 steps must actually train"


def test_the_first_float32_step_moves_the_running_statistics_within_the_bound_of_their_arithmetic(
    prepared_dir: Path,
) -> None:
    """The first BatchNorm2d's running mean and variance after one float32 step, against float64's, within a first-
    order bound carried through the arithmetic (the convolution's output z = cols W~^T + b over K = k k terms, then
    the batch's moments over m = B H' W' of them, then the update with momentum 0.1):

        E_z   = gamma(K + 1) (|cols| |W~|^T + |b|)
        E_mu  = mean(E_z) + gamma(m) mean(|z|)
        E_var = mean(2 |z - mu| (E_z + E_mu) + (E_z + E_mu)^2) + gamma(m + 2) var
        running_mean' = 0.1 mu:                  0.1 E_mu + 3 U |running_mean'|
        running_var'  = 0.9 + 0.1 var m/(m-1):   0.1 m/(m-1) E_var + 4 U |running_var'|

    Dropout draws its masks from float64 uniforms, so both runs drop the same units."""
    recipe, data = NORMALISED["cnn"], dataset.load_inputs(prepared_dir, "train")
    one_step = np.full(1, recipe.lr)
    _, float64, initial = fifty_numpy_steps("cnn", data.x.astype(np.float64), data.y, one_step, recipe)
    _, float32, _ = fifty_numpy_steps("cnn", data.x.astype(np.float32), data.y, one_step, recipe)
    first = batches.epoch_order(len(data.y), seed=0, epoch=0)[: recipe.batch_size]
    conv1 = nn.Conv2d(1, 16, 5)
    conv1.set_parameters(initial["1.weight"], initial["1.bias"])
    images = data.x[first].astype(np.float32).astype(np.float64).reshape(-1, 28, 28, 1)
    cols = conv.im2col(images, 5).reshape(-1, 25)
    z = cols @ conv.kernel_matrix(conv1.weight).T + conv1.bias
    m = len(z)
    e_z = gamma(26) * (np.abs(cols) @ np.abs(conv.kernel_matrix(conv1.weight)).T + np.abs(conv1.bias))
    mu = z.mean(axis=0)
    e_mu = e_z.mean(axis=0) + gamma(m) * np.abs(z).mean(axis=0)
    e = e_z + e_mu
    e_var = (2 * np.abs(z - mu) * e + e**2).mean(axis=0) + gamma(m + 2) * z.var(axis=0)
    got, want = float32.state_dict(), float64.state_dict()
    mean_bound = 0.1 * e_mu + 3 * U * np.abs(want["2.running_mean"])
    var_bound = 0.1 * m / (m - 1) * e_var + 4 * U * np.abs(want["2.running_var"])
    assert got["2.running_mean"].dtype == np.float32
    assert np.all(np.abs(got["2.running_mean"] - want["2.running_mean"]) <= mean_bound)
    assert np.all(np.abs(got["2.running_var"] - want["2.running_var"]) <= var_bound)
    # the bound is loose (gamma(m) is the worst case of 73,728 additions; measured errors 5e-7 and 2e-6 against
    # bounds of 4e-4 and 1e-3), but the first step still moves both statistics by ten times it and more
    assert np.abs(want["2.running_mean"]).max() > 10 * mean_bound.max()
    assert np.abs(want["2.running_var"] - 0.9).max() > 10 * var_bound.max()


NORMALISATION_MUTANTS = {
    # name: (architecture, what is replaced, by what)
    "running variance biased": ("cnn", (batchnorm._BatchNorm, "track"), mutants.running_variance_biased),
    "normalised by the unbiased variance": (
        "cnn",
        (batchnorm._BatchNorm, "biased_variance"),
        staticmethod(mutants.unbiased_variance),
    ),
    "evaluated with the batch's statistics": ("cnn", (batchnorm._BatchNorm, "normalised"), mutants.batch_statistics),
    "dropout without rescaling": ("mlp", (nn.Dropout, "forward"), mutants.dropout_without_rescaling),
    "dropout active in evaluation": ("mlp", (nn.Dropout, "forward"), mutants.dropout_in_evaluation),
}


@pytest.mark.parametrize("mutant", list(NORMALISATION_MUTANTS))
def test_batch_normalisation_and_dropout_parity_fails_for_a_mutant(
    prepared_dir: Path, monkeypatch: pytest.MonkeyPatch, mutant: str
) -> None:
    """Each mistake NumPy re-implementations make with these layers moves the losses, the running statistics or the
    evaluation far past the 1e-9 of the float64 test above, against the same torch run."""
    architecture, (owner, name), replacement = NORMALISATION_MUTANTS[mutant]
    (_, torch_losses, _, torch_model, _), (_, torch_scores) = normalised_float64_run(prepared_dir, architecture)
    monkeypatch.setattr(owner, name, replacement)
    recipe, data = NORMALISED[architecture], dataset.load_inputs(prepared_dir, "train")
    lrs = loop.run_learning_rates(recipe, len(data))[0, :50]
    losses, numpy_model, _ = fifty_numpy_steps(architecture, data.x.astype(np.float64), data.y, lrs, recipe)
    (numpy_scores, _) = evaluations(prepared_dir, numpy_model, torch_model)
    moved = max(
        np.abs(losses - torch_losses).max(),
        largest_parameter_difference(numpy_model, torch_model),
        abs(numpy_scores[0] - torch_scores[0]),
    )
    assert moved > 1e-6
