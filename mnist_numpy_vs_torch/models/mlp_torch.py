"""The same MLP in PyTorch, written the conventional way: nn.Sequential of nn.Linear and nn.ReLU.

It starts from the weights models/mlp.py draws (transposed into nn.Linear's (out, in) layout) and trains on the
batches training/batches.py gives, so it can be compared step for step with models/mlp_numpy.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from mnist_numpy_vs_torch.models import mlp, torch_common
from mnist_numpy_vs_torch.params import MLPParams


def network(hidden: Sequence[int]) -> nn.Sequential:
    sizes = mlp.layer_sizes(hidden)
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def from_layers(layers: mlp.Layers) -> nn.Sequential:
    """A network holding exactly the given (fan_in, fan_out) weights and biases."""
    model = network([w.shape[1] for w, _ in layers[:-1]]).to(torch.from_numpy(layers[0][0]).dtype)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for linear, (weight, bias) in zip(linears, layers):
            linear.weight.copy_(torch.from_numpy(weight.T))
            linear.bias.copy_(torch.from_numpy(bias))
    return model


def to_layers(model: nn.Sequential) -> mlp.Layers:
    """The inverse of from_layers: weights back in (fan_in, fan_out) layout, as NumPy arrays."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [(m.weight.detach().cpu().numpy().T, m.bias.detach().cpu().numpy()) for m in linears]


def build(section: MLPParams, seed: int) -> nn.Sequential:
    """The network of `seed`, from the initial weights both frameworks share."""
    return from_layers(mlp.initial_weights(section.hidden, section.init, seed))


def load(path: str | Path) -> nn.Sequential:
    """A network saved by torch_common.save; its hidden widths are read from the state_dict."""

    def network_for(state: dict[str, torch.Tensor]) -> nn.Sequential:
        return network([state[f"{2 * i}.weight"].shape[0] for i in range(len(state) // 2 - 1)])

    return torch_common.load(path, network_for)
