"""The seeded starting point: each architecture's initial weights, and the epoch order, batches and shifts every
model of a seed shares."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch import seeds
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.initial import OUTPUT_GAIN, initial_state
from mnist_numpy_vs_torch.training import batches, loop


def initial_weights(hidden: list[int], init: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of each layer of a 784-hidden-10 MLP of `seed`, weights (out, in) as nn.Linear's."""
    spec = [("Linear", 784, hidden[0]), ("ReLU",), ("Linear", hidden[0], 10)]
    state = list(initial_state(spec, init, seed).values())
    return list(zip(state[::2], state[1::2]))


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    first, again = (
        initial_weights([64], "kaiming_normal", 3),
        initial_weights([64], "kaiming_normal", 3),
    )
    other = initial_weights([64], "kaiming_normal", 4)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(first, again))
    assert not np.array_equal(first[0][0], other[0][0])
    assert [w.shape for w, _ in first] == [(64, 784), (10, 64)] and first[0][0].dtype == np.float32


def test_he_scale_on_relu_layers_and_a_small_output_layer() -> None:
    (hidden, bias), (output, _) = initial_weights([2000], "kaiming_uniform", 0)
    assert abs(np.std(hidden) / np.sqrt(2 / 784) - 1) < 0.01
    assert abs(np.std(output) / (OUTPUT_GAIN / np.sqrt(2000)) - 1) < 0.05
    assert not bias.any()


def test_each_epoch_is_a_fresh_permutation_of_every_sample() -> None:
    first, second = batches.epoch_order(1000, seed=0, epoch=0), batches.epoch_order(1000, seed=0, epoch=1)
    assert sorted(first) == list(range(1000)) and sorted(second) == list(range(1000))
    assert not np.array_equal(first, second)
    assert np.array_equal(first, batches.epoch_order(1000, seed=0, epoch=0))


def test_batches_cover_the_epoch_once_with_a_smaller_last_batch() -> None:
    bounds = batches.batch_bounds(10, 4)
    assert bounds == [(0, 4), (4, 8), (8, 10)]
    assert batches.batch_bounds(8, 4) == [(0, 4), (4, 8)]


def test_epoch_shifts_are_seeded_per_epoch_and_bounded() -> None:
    first = batches.epoch_shifts(1000, seed=0, epoch=0, max_shift=1)
    assert first.shape == (1000, 2) and set(np.unique(first)) == {-1, 0, 1}
    assert np.array_equal(first, batches.epoch_shifts(1000, seed=0, epoch=0, max_shift=1))
    assert not np.array_equal(first, batches.epoch_shifts(1000, seed=0, epoch=1, max_shift=1))
    assert not np.array_equal(first, batches.epoch_shifts(1000, seed=1, epoch=0, max_shift=1))
    assert not batches.epoch_shifts(1000, seed=0, epoch=0, max_shift=0).any()


def test_shifted_images_move_each_image_by_its_own_shift() -> None:
    images = np.random.default_rng(3).integers(1, 256, (50, 28, 28), dtype=np.uint8)
    shifts = batches.epoch_shifts(50, seed=3, epoch=0, max_shift=2)
    moved = dataset.ShiftedImages(images, max_shift=2)(shifts)
    for image, (down, right), got in zip(images, shifts, moved):
        expected = np.roll(np.roll(np.pad(image, 2), down, axis=0), right, axis=1)[2:30, 2:30]
        assert np.array_equal(got, expected)
    assert (moved == 0).sum() > 0  # what moved out of the frame left background behind


def test_epoch_inputs_are_the_standardised_shifted_images_and_unshifted_when_max_shift_is_0() -> None:
    images = np.random.default_rng(4).integers(0, 256, (40, 28, 28), dtype=np.uint8)

    def normalise(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return dataset.normalise(x, 0.13, 0.31, out=out)

    still = loop.EpochInputs(images, normalise, max_shift=0)
    assert np.array_equal(still(0, 0), dataset.normalise(images, 0.13, 0.31)) and still(1, 3) is still(0, 0)
    moving = loop.EpochInputs(images, normalise, max_shift=1)
    for seed, epoch in ((5, 0), (5, 1), (6, 0)):
        shifts = batches.epoch_shifts(40, seed=seed, epoch=epoch, max_shift=1)
        expected = dataset.normalise(dataset.ShiftedImages(images, 1)(shifts), 0.13, 0.31)
        assert np.array_equal(moving(seed, epoch), expected)


def test_the_streams_are_fixed_and_apart() -> None:
    """Weights, order and shifts of a seed draw from separate streams, whose words never change: a new stream or
    architecture moves no committed result."""
    assert seeds.STREAMS == {"weights": 0, "order": 1, "shifts": 2, "dropout": 3}
    assert np.array_equal(batches.epoch_order(100, 3, 0), np.random.default_rng([3, 1, 0]).permutation(100))
    first_layer = initial_weights([8], "kaiming_normal", 3)[0][0]
    assert not np.array_equal(first_layer, initial_weights([8], "kaiming_normal", 4)[0][0])
