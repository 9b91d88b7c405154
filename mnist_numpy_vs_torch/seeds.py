"""Every random draw of a run starts here: a seed and a stream give a generator, and distinct streams never share
draws, so the initial weights of seed 1 are independent of its batch order and of its image shifts.

    weights  models/initial.py: each architecture's starting point
    order    training/batches.py: the sample order of each epoch
    shifts   training/batches.py: how far each training image moves in each epoch
    dropout  twins.py: which units each Dropout layer drops at each step (its index a further word)
"""

from __future__ import annotations

import numpy as np

STREAMS = {
    "weights": 0,
    "order": 1,
    "shifts": 2,
    "dropout": 3,
}  # SeedSequence words: fixed forever, or every result moves


def generator(seed: int, stream: str, *more: int) -> np.random.Generator:
    """The generator of `stream` for `seed` (and, for per-epoch streams, the epoch in `more`)."""
    return np.random.default_rng([seed, STREAMS[stream], *more])
