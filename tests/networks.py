"""Small float64 networks for the gradient checks: the CNN's layers at a size central differences can afford."""

from __future__ import annotations

import dataclasses

import numpy as np

from mnist_numpy_vs_torch import nn
from mnist_numpy_vs_torch.models import cnn, numpy_nn
from mnist_numpy_vs_torch.models.initial import initial_state
from mnist_numpy_vs_torch.params import CNNParams
from tests.project import PARAMS

# kernel 3 and an odd side after the second convolution (13 - 2 = 11): the pool drops a row and a column; without
# batch normalisation and dropout unless a test asks for them
SMALL = dataclasses.replace(PARAMS.cnn, channels=(2, 3), kernel=3, hidden=(5,), batch_norm=False, dropout=0.0)


def float64_cnn(seed: int = 4, section: CNNParams = SMALL) -> nn.Sequential:
    """`section`'s CNN in float64: He-normal weights, biases drawn away from 0 (so that every gradient has something
    to say), batch normalisation's statistics as they start."""
    rng = np.random.default_rng(seed)
    spec = cnn.spec(section)
    state = initial_state(spec, "kaiming_normal", seed)
    return numpy_nn.build(
        spec,
        {
            n: v.astype(np.float64)
            if n.endswith(("weight", "running_var")) or v.dtype.kind != "f"
            else rng.normal(0.2, 0.1, v.shape)
            for n, v in state.items()
        },
    )
