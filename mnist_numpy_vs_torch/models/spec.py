"""What a network is, before either framework builds it: a list of layers, each a torch.nn class name and its
arguments in nn's order, for example

    [("Linear", 784, 512), ("ReLU",), ("Linear", 512, 10)]

models/numpy_nn.py builds a NumPy Sequential from such a list and models/torch_nn.py an nn.Sequential, so both
print the same layers in the same order. Each architecture (models/mlp.py, models/cnn.py) makes its list from its
params.yaml section and describes itself with an `Architecture`; models/architectures.py is their table.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnist_numpy_vs_torch.errors import PipelineError

Layer = tuple  # (class name, *arguments)
Spec = list[Layer]
WEIGHTED = ("Linear", "Conv2d")  # the layers whose weight and bias are drawn from the seed (models/initial.py)
NORMALISING = ("BatchNorm1d", "BatchNorm2d")  # gamma (weight) and beta (bias), and running statistics


@dataclass(frozen=True)
class Architecture:
    name: str  # its params.yaml section and its models/<name>/ folder
    label: str  # as the report names it
    spec: Callable[[Any], Spec]  # the layers, from its params.yaml section
    describe: Callable[[Any], str]  # the network in one line, for the report
    first_layer: str  # how the report draws the first layer's weights: "images" (one 28x28 per unit) or "filters"
    registered_on: str  # the day its comparison rule was registered, before its first result (docs/verdict.md)


def parameter_shapes(spec: Spec) -> dict[str, tuple[int, ...]]:
    """Every parameter's name and shape, in the layers' order, as both frameworks' state_dicts name them."""
    shapes = {}
    for index, (name, *args) in enumerate(spec):
        if name == "Linear":
            fan_in, fan_out = args
            shapes |= {f"{index}.weight": (fan_out, fan_in), f"{index}.bias": (fan_out,)}
        elif name == "Conv2d":
            inputs, outputs, k = args
            shapes |= {f"{index}.weight": (outputs, inputs, k, k), f"{index}.bias": (outputs,)}
        elif name in NORMALISING:
            shapes |= {f"{index}.weight": (args[0],), f"{index}.bias": (args[0],)}
    return shapes


def parameter_count(spec: Spec) -> int:
    return sum(math.prod(shape) for shape in parameter_shapes(spec).values())


def architecture_named(name: str) -> Architecture:
    """The Architecture of models/<name>.py, importing that module alone: a stage that trains one architecture runs
    none of another's code, so that an edit to one reruns only its own stages (dvc.yaml lists models/<name>.py)."""
    try:
        module = importlib.import_module(f"mnist_numpy_vs_torch.models.{name}")
    except ModuleNotFoundError as error:
        raise PipelineError(
            f"no architecture {name!r}: mnist_numpy_vs_torch/models/{name}.py does not exist"
        ) from error
    if not isinstance(getattr(module, "ARCHITECTURE", None), Architecture):
        raise PipelineError(f"no architecture {name!r}: mnist_numpy_vs_torch/models/{name}.py defines no ARCHITECTURE")
    return module.ARCHITECTURE
