"""The one place that draws what every model of a seed sees, whatever its architecture or framework: the sample
order of each epoch, its batches, how far each training image moves, and which units each Dropout layer drops.

Both frameworks call these functions, so they see the same batches of the same images; any difference in their
results is the framework's, not the set-up's. Each architecture's initial weights come from models/initial.py,
from a stream of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mnist_numpy_vs_torch import seeds


def epoch_order(num_samples: int, seed: int, epoch: int) -> np.ndarray:
    """The sample order of one epoch: a fresh permutation per epoch, every sample exactly once."""
    return seeds.generator(seed, "order", epoch).permutation(num_samples)


def batch_bounds(num_samples: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch within an epoch's order: consecutive slices, every sample once; the last batch
    is smaller when batch_size does not divide the epoch."""
    return [(start, min(start + batch_size, num_samples)) for start in range(0, num_samples, batch_size)]


def epoch_shifts(num_samples: int, seed: int, epoch: int, max_shift: int) -> np.ndarray:
    """How far each training image moves in one epoch: (num_samples, 2) whole pixels (down, right), each drawn
    uniformly from -max_shift..max_shift, fresh every epoch. All zero when max_shift is 0."""
    if max_shift == 0:
        return np.zeros((num_samples, 2), dtype=np.int64)
    return seeds.generator(seed, "shifts", epoch).integers(-max_shift, max_shift + 1, (num_samples, 2))


def seed_masks(layers: Iterable, seed: int) -> None:
    """Give each Dropout of a network (NumPy's or torch's: any layer with a `generator` attribute) its stream for
    `seed`: seeds.py's "dropout" stream with the layer's index as a further word, so that a new Dropout layer moves
    no other layer's masks, and nothing else of the run. twins.py turns its draws into masks."""
    for index, layer in enumerate(layers):
        if hasattr(layer, "generator"):
            layer.generator = seeds.generator(seed, "dropout", index)
