"""The schema of params.yaml: one frozen dataclass per section, each field annotated with what it holds and the
check its value must pass, so the schema and the typed object are one thing.

Annotated[type, check]: check(dotted_key, raw_value) returns the typed value or raises ParamsError (checks.py).
A field typed as another dataclass is a section within the section.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, NamedTuple

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE

# The annotations below name these checks; typing.get_type_hints resolves them in this module's namespace.
from mnist_numpy_vs_torch.params.checks import boolean, choice, integer, integer_or, list_of, number, text, threads

INITS = ("kaiming_uniform", "kaiming_normal", "pytorch_default")  # the initialisations models/initial.py draws
OPTIMIZERS = ("sgd", "adam", "adamw")  # models/numpy_optim.py writes each out; models/torch_optim.py uses torch's
POOL = 2  # the CNN's max-pool after each convolution: a POOL x POOL window, stride POOL


@dataclass(frozen=True)
class DownloadParams:
    mirrors: Annotated[tuple[str, ...], list_of(text)]  # tried in order after $MNIST_MIRROR
    timeout_seconds: Annotated[float, number(0, exclusive=True)]
    retries: Annotated[int, integer(minimum=0)]
    backoff_seconds: Annotated[float, number(0)]


@dataclass(frozen=True)
class ParseParams:
    val_size: Annotated[int, integer(minimum=1)]
    seed: Annotated[int, integer(minimum=0)]
    train_size: Annotated[int | str, integer_or("all")]  # all, or a stratified subset of the rest for quick runs


@dataclass(frozen=True)
class TrainParams:
    """What every model of a seed shares, whatever its architecture or framework."""

    shift: Annotated[int, integer(minimum=0)]  # training images move up to this many whole pixels each way


@dataclass(frozen=True)
class Recipe:
    """How an architecture is trained, the same in both frameworks: seeds, epochs, batches, optimiser, schedule."""

    seeds: Annotated[int, integer(minimum=1)]  # seeds 0..seeds-1, each trained once in each framework
    epochs: Annotated[int, integer(minimum=1)]
    batch_size: Annotated[int, integer(minimum=1)]
    optimizer: Annotated[str, choice(*OPTIMIZERS)]
    lr: Annotated[float, number(0, exclusive=True)]
    momentum: Annotated[float, number(0, maximum=1)]  # sgd only
    betas: Annotated[tuple[float, ...], list_of(number(0, maximum=1), length=2)]  # adam, adamw: (beta1, beta2)
    eps: Annotated[float, number(0, exclusive=True)]  # adam, adamw: added to the root of the second moment
    weight_decay: Annotated[float, number(0)]  # sgd, adam: L2 in the gradient; adamw: decoupled
    schedule: Annotated[str, choice("cosine", "step", "constant")]
    lr_min: Annotated[float, number(0)]
    step_size: Annotated[int, integer(minimum=1)]
    gamma: Annotated[float, number(0, exclusive=True)]


@dataclass(frozen=True)
class MLPParams(Recipe):
    hidden: Annotated[tuple[int, ...], list_of(integer(minimum=1))]
    init: Annotated[str, choice(*INITS)]  # models/initial.py
    dropout: Annotated[float, number(0, maximum=1)]  # before each dense layer but the first; 0: none


@dataclass(frozen=True)
class CNNParams(Recipe):
    channels: Annotated[tuple[int, ...], list_of(integer(minimum=1))]  # output channels of each convolution
    kernel: Annotated[int, integer(minimum=1)]  # each convolution's k x k window
    hidden: Annotated[tuple[int, ...], list_of(integer(minimum=1), empty=True)]  # dense widths before the output
    init: Annotated[str, choice(*INITS)]  # models/initial.py
    batch_norm: Annotated[bool, boolean]  # BatchNorm2d after each convolution, BatchNorm1d after each hidden Linear
    dropout: Annotated[float, number(0, maximum=1)]  # before each dense layer; 0: none


class ConvolutionSides(NamedTuple):
    """The side of the square image around one of the CNN's convolutions."""

    entering: int  # the side the convolution sees
    convolved: int  # after the convolution: valid, stride 1, so k - 1 fewer
    pooled: int  # after the max-pool: convolved // POOL, the rest dropped


def convolution_sides(kernel: int, convolutions: int) -> tuple[ConvolutionSides, ...]:
    """The sides around each of `convolutions` k x k convolutions, each followed by its max-pool, from the 28x28
    image on: the one derivation of the CNN's geometry, which the checks, the network and the benchmarks share."""
    sides, side = [], IMAGE_SIDE
    for _ in range(convolutions):
        convolved = side - kernel + 1
        sides.append(ConvolutionSides(side, convolved, convolved // POOL))
        side = convolved // POOL
    return tuple(sides)


@dataclass(frozen=True)
class TrainNumpyParams:
    threads: Annotated[int | str, threads]  # "auto": machine.threads_for
    shards: Annotated[int, integer(minimum=1)]  # a batch's parts through the convolutions (nn.parallel.DataParallel)


@dataclass(frozen=True)
class TrainTorchParams:
    device: Annotated[str, choice("auto", "cpu", "cuda")]
    threads: Annotated[int | str, threads]  # "auto": machine.threads_for


@dataclass(frozen=True)
class Margins:
    """Equivalence margins on NumPy - PyTorch: accuracies as fractions (0.001 = 0.1 pp), losses in nats."""

    test_accuracy: Annotated[float, number(0, exclusive=True)]
    val_accuracy: Annotated[float, number(0, exclusive=True)]
    test_loss: Annotated[float, number(0, exclusive=True)]
    val_loss: Annotated[float, number(0, exclusive=True)]


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: Annotated[int, integer(minimum=1)]
    confidence: Annotated[float, number(0, exclusive=True, maximum=1)]
    margins: Margins


@dataclass(frozen=True)
class ReportParams:
    misclassified_shown: Annotated[int, integer(minimum=0)]


@dataclass(frozen=True)
class Params:
    download: DownloadParams
    parse: ParseParams
    train: TrainParams
    mlp: MLPParams
    cnn: CNNParams
    train_numpy: TrainNumpyParams
    train_torch: TrainTorchParams
    evaluate: EvaluateParams
    report: ReportParams


def recipes(params: Params) -> dict[str, Recipe]:
    """Each architecture's section, by name."""
    return {f.name: getattr(params, f.name) for f in fields(Params) if isinstance(getattr(params, f.name), Recipe)}
