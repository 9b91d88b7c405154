"""The same convolutional network in PyTorch, written the conventional way: nn.Conv2d, nn.ReLU, nn.MaxPool2d,
nn.Flatten and nn.Linear in an nn.Sequential.

It takes the same (B, 784) standardised inputs as the MLP, unflattened into (B, 1, 28, 28) images, starts from the
weights models/cnn.py draws and trains on the batches training/batches.py gives, so it can be compared step for step
with models/cnn_numpy.py.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from torch import nn

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE
from mnist_numpy_vs_torch.models import cnn, torch_common
from mnist_numpy_vs_torch.params import CNNParams


def network(shape: cnn.Shape) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Unflatten(1, (1, IMAGE_SIDE, IMAGE_SIDE))]
    inputs = 1
    for out in shape.channels:
        layers += [nn.Conv2d(inputs, out, shape.kernel), nn.ReLU(), nn.MaxPool2d(cnn.POOL)]
        inputs = out
    layers.append(nn.Flatten())
    sizes = shape.dense_sizes()
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def from_layers(layers: cnn.Layers) -> nn.Sequential:
    """A network holding exactly the given weights: convolutions (F, C, k, k) as they are, dense (fan_in, fan_out)
    transposed into nn.Linear's layout."""
    convs = [w for w, _ in layers if w.ndim == 4]
    shape = cnn.Shape(
        tuple(w.shape[0] for w in convs), convs[0].shape[-1], tuple(w.shape[1] for w, _ in layers[len(convs) : -1])
    )
    model = network(shape).to(torch.from_numpy(layers[0][0]).dtype)
    weighted = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for module, (weight, bias) in zip(weighted, layers):
            module.weight.copy_(torch.from_numpy(weight if weight.ndim == 4 else weight.T))
            module.bias.copy_(torch.from_numpy(bias))
    return model


def to_layers(model: nn.Sequential) -> cnn.Layers:
    """The inverse of from_layers, as NumPy arrays."""
    weighted = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    layers = []
    for module in weighted:
        weight = module.weight.detach().cpu().numpy()
        layers.append((weight if weight.ndim == 4 else weight.T, module.bias.detach().cpu().numpy()))
    return layers


def build(section: CNNParams, seed: int) -> nn.Sequential:
    """The network of `seed`, from the initial weights both frameworks share."""
    return from_layers(cnn.initial_weights(cnn.shape_of(section), section.init, seed))


def load(path: str | Path) -> nn.Sequential:
    """A network saved by torch_common.save; its shape is read from the state_dict."""

    def network_for(state: dict[str, torch.Tensor]) -> nn.Sequential:
        weights = [state[name] for name in state if name.endswith(".weight")]
        kernels = [w for w in weights if w.ndim == 4]
        dense = [w for w in weights if w.ndim == 2]
        return network(
            cnn.Shape(tuple(w.shape[0] for w in kernels), kernels[0].shape[-1], tuple(w.shape[0] for w in dense[:-1]))
        )

    return torch_common.load(path, network_for)
