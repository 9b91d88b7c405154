"""The arithmetic a training step must do, from a network's layers: what a share of the BLAS peak is measured on."""

from __future__ import annotations

from mnist_numpy_vs_torch.models.spec import Spec
from mnist_numpy_vs_torch.params import convolution_sides


def training_flops_per_sample(spec: Spec) -> int:
    """Each layer with weights: its product forward, again for its weight gradient, and again for its input
    gradient but in the first layer (no gradient for the image). A Linear (in, out) is 2 in out; a Conv2d is
    2 H'W' F C k k on its H' x H' output, whose side the params package derives (convolution_sides)."""
    convolved = iter(side.convolved for side in convolution_sides(*convolution_geometry(spec)))
    products = []
    for name, *args in spec:
        if name == "Linear":
            products.append(2 * args[0] * args[1])
        elif name == "Conv2d":
            inputs, outputs, k = args
            side = next(convolved)
            products.append(2 * side * side * outputs * inputs * k * k)
    return sum(product * (2 if index == 0 else 3) for index, product in enumerate(products))


def convolution_geometry(spec: Spec) -> tuple[int, int]:
    """The kernel and the number of the spec's convolutions; (1, 0) with none. convolution_sides knows one kernel
    for all convolutions, each followed by its max-pool, as models/cnn.py builds them: another spec is refused
    rather than counted wrong."""
    convolutions = [args for name, *args in spec if name == "Conv2d"]
    kernels = {k for _, _, k in convolutions}
    if len(kernels) > 1:
        raise ValueError(f"convolutions of several kernels ({sorted(kernels)}): convolution_sides assumes one")
    pools = sum(name == "MaxPool2d" for name, *_ in spec)
    if pools != len(convolutions):
        raise ValueError(f"{len(convolutions)} convolutions and {pools} max-pools: convolution_sides pools after each")
    return (kernels.pop() if kernels else 1), len(convolutions)
