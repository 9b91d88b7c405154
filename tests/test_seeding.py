"""The one seeded starting point: initial weights, epoch order and batch boundaries."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch import seeding


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    first, again = (
        seeding.initial_weights([64], "kaiming_normal", 3),
        seeding.initial_weights([64], "kaiming_normal", 3),
    )
    other = seeding.initial_weights([64], "kaiming_normal", 4)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(first, again))
    assert not np.array_equal(first[0][0], other[0][0])
    assert [w.shape for w, _ in first] == [(784, 64), (64, 10)] and first[0][0].dtype == np.float32


def test_he_scale_on_relu_layers_and_a_small_output_layer() -> None:
    (hidden, bias), (output, _) = seeding.initial_weights([2000], "kaiming_uniform", 0)
    assert abs(np.std(hidden) / np.sqrt(2 / 784) - 1) < 0.01
    assert abs(np.std(output) / (seeding.OUTPUT_GAIN / np.sqrt(2000)) - 1) < 0.05
    assert not bias.any()


def test_each_epoch_is_a_fresh_permutation_of_every_sample() -> None:
    first, second = seeding.epoch_order(1000, seed=0, epoch=0), seeding.epoch_order(1000, seed=0, epoch=1)
    assert sorted(first) == list(range(1000)) and sorted(second) == list(range(1000))
    assert not np.array_equal(first, second)
    assert np.array_equal(first, seeding.epoch_order(1000, seed=0, epoch=0))


def test_batches_cover_the_epoch_once_with_a_smaller_last_batch() -> None:
    bounds = seeding.batch_bounds(10, 4)
    assert bounds == [(0, 4), (4, 8), (8, 10)]
    assert seeding.batch_bounds(8, 4) == [(0, 4), (4, 8)]
