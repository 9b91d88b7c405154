"""params.yaml: its schema, its checks, and each stage's view of it. The one place that reads it.

The schema comes first: one frozen dataclass per section, each field annotated with what it holds and the check
its value must pass, so the schema and the typed object are one thing. Every stage calls `for_stage(name)` before
doing any work: a typo or a wrong type fails at once, with the key's full dotted name, instead of minutes into a
training run. The object it returns answers only the keys that the stage's `params` list in dvc.yaml declares,
so a stage cannot depend on a parameter that DVC does not know it depends on.

Each architecture has a section of its own (`mlp`, `cnn`): its shape and how it is trained (the Recipe fields).
`train` holds what every model of a seed shares: the image shifts. Each architecture trains its own number of seeds,
0..n-1, the n of the registered sample-size rule (comparison/sample_size.py); seed i is the same draw for both.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import yaml

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE, TRAIN_COUNT
from mnist_numpy_vs_torch.errors import ParamsError, first_line

INITS = ("kaiming_uniform", "kaiming_normal", "pytorch_default")  # the initialisations models/initial.py draws
OPTIMIZERS = ("sgd", "adam", "adamw")  # models/numpy_optim.py writes each out; models/torch_optim.py uses torch's

# ---------------------------------------------------------------------------------------------------------------
# The schema. Annotated[type, check]: check(dotted_key, raw_value) returns the typed value or raises ParamsError.
# A field typed as another dataclass is a section within the section.


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


@dataclass(frozen=True)
class TrainNumpyParams:
    threads: Annotated[int | str, threads]  # "auto": machine.threads_for
    shards: Annotated[int, integer(minimum=1)]  # a batch's parts through the convolutions (numpy_nn.DataParallel)


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


# ---------------------------------------------------------------------------------------------------------------
# The checks the schema names.

Check = Callable[[str, Any], Any]


def integer(minimum: int | None = None) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{key}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise ParamsError(f"{key}: expected an integer >= {minimum}, got {value}")
        return value

    return check


def number(minimum: float, *, exclusive: bool = False, maximum: float | None = None) -> Check:
    bound = f"> {minimum}" if exclusive else f">= {minimum}"
    if maximum is not None:
        bound += f" and < {maximum}"

    def check(key: str, value: Any) -> float:
        if isinstance(value, str):
            hint = " (YAML reads 1e-3 as text: write 1.0e-3)" if _looks_numeric(value) else ""
            raise ParamsError(f"{key}: expected a number {bound}, got the string {value!r}{hint}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParamsError(f"{key}: expected a number {bound}, got {value!r}")
        too_small = value <= minimum if exclusive else value < minimum
        if too_small or (maximum is not None and value >= maximum):
            raise ParamsError(f"{key}: expected a number {bound}, got {value}")
        return float(value)

    return check


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def integer_or(word: str) -> Check:
    """A positive integer, or `word` (auto, all) for the default that a number would replace."""

    def check(key: str, value: Any) -> int | str:
        if value == word:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParamsError(f"{key}: expected an integer >= 1 or {word}, got {value!r}")
        return value

    return check


threads = integer_or("auto")


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamsError(f"{key}: expected true or false, got {value!r}")
    return value


def choice(*options: str) -> Check:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise ParamsError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ParamsError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def list_of(item: Check, *, unique: bool = False, empty: bool = False, length: int | None = None) -> Check:
    def check(key: str, value: Any) -> tuple:
        if not isinstance(value, list) or not (value or empty):
            raise ParamsError(f"{key}: expected a {'' if empty else 'non-empty '}list, got {value!r}")
        if length is not None and len(value) != length:
            raise ParamsError(f"{key}: expected a list of {length} values, got {value!r}")
        items = tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))
        if unique and len(set(items)) != len(items):
            raise ParamsError(f"{key}: expected distinct values, got {value!r}")
        return items

    return check


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _build(prefix: str, cls: type, values: Any) -> Any:
    """`values` checked field by field into the frozen dataclass `cls`."""
    if not isinstance(values, dict):
        raise ParamsError(f"{prefix}: expected a mapping, got {values!r}")
    hints = _hints(cls)
    names = [f.name for f in fields(cls)]
    _refuse_unknown(f"{prefix}.", values, names)
    typed = {}
    for name in names:
        key = f"{prefix}.{name}"
        if name not in values:
            raise ParamsError(f"{key}: missing")
        hint = hints[name]
        if typing.get_origin(hint) is Annotated:
            typed[name] = hint.__metadata__[0](key, values[name])
        elif is_dataclass(hint):
            typed[name] = _build(key, hint, values[name])
        else:
            raise TypeError(f"{cls.__name__}.{name}: the schema gives no check")
    return cls(**typed)


def _refuse_unknown(prefix: str, values: dict, known: Iterable[str]) -> None:
    for name in values:
        if name not in known:
            raise ParamsError(f"{prefix}{name}: unknown key (expected one of {', '.join(known)})")


def validate(raw: Any) -> Params:
    """Check `raw` (params.yaml as parsed) against the schema; return the typed, frozen parameters."""
    if not isinstance(raw, dict):
        raise ParamsError(f"params.yaml: expected a mapping of sections, got {type(raw).__name__}")
    sections = _hints(Params)
    _refuse_unknown("", raw, sections)
    typed = {}
    for section, cls in sections.items():
        values = raw.get(section)
        if not isinstance(values, dict):
            names = ", ".join(f.name for f in fields(cls))
            raise ParamsError(f"{section}: missing section (expected keys {names})")
        typed[section] = _build(section, cls, values)
    params = Params(**typed)
    _check_across_keys(params)
    return params


def _check_across_keys(params: Params) -> None:
    if params.parse.val_size >= TRAIN_COUNT:
        raise ParamsError(
            f"parse.val_size: expected fewer than the {TRAIN_COUNT} training images, got {params.parse.val_size}"
        )
    rest = TRAIN_COUNT - params.parse.val_size
    if params.parse.train_size != "all" and params.parse.train_size > rest:
        raise ParamsError(
            f"parse.train_size: expected at most the {rest} training images left after parse.val_size, or all; "
            f"got {params.parse.train_size}"
        )
    for name, recipe in recipes(params).items():
        if recipe.lr_min > recipe.lr:
            raise ParamsError(f"{name}.lr_min: expected at most {name}.lr ({recipe.lr}), got {recipe.lr_min}")
    side, kernel = IMAGE_SIDE, params.cnn.kernel
    for index, _ in enumerate(params.cnn.channels):
        if side - kernel + 1 < 2:
            raise ParamsError(
                f"cnn.kernel: convolution {index + 1} sees {side}x{side} pixels, too few for a {kernel}x{kernel} "
                "kernel and a 2x2 max-pool; use fewer cnn.channels or a smaller cnn.kernel"
            )
        side = (side - kernel + 1) // 2


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; raise ParamsError naming the file or key on any fault."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(f"{path}: cannot read ({error.strerror})") from error
    try:
        raw = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({first_line(error)})") from error
    return validate(raw)


# ---------------------------------------------------------------------------------------------------------------
# Each stage's view: only the keys its dvc.yaml entry declares.


def declared_keys(stage: str, dvc_yaml: str | Path = "dvc.yaml") -> list[str]:
    """The params.yaml keys that `stage` lists under `params` in dvc.yaml: sections ("train") or keys
    ("mlp.seeds"). A matrix stage is named as DVC names it, `train@mlp-numpy`: its values fill `${item.x}`."""
    dvc_yaml = Path(dvc_yaml)
    name, _, values = stage.partition("@")
    try:
        entry = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"][name]
        entries = entry.get("params", [])
        item = dict(zip(entry["matrix"], values.split("-"), strict=True)) if values else {}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise ParamsError(f"{dvc_yaml}: cannot read the params of stage {stage!r} ({error!r})") from error
    keys = []
    for entry in entries:
        if isinstance(entry, dict):  # {other_file.yaml: [keys]}: only params.yaml is ours
            keys += [key for file, listed in entry.items() if file == "params.yaml" for key in listed]
        else:
            keys.append(re.sub(r"\$\{item\.(\w+)\}", lambda m: item[m.group(1)], str(entry)))
    return keys


class _DeclaredSection:
    """One section of the parameters with only the declared keys readable."""

    def __init__(self, stage: str, section: str, values: object, keys: set[str]) -> None:
        self._stage, self._section, self._values, self._keys = stage, section, values, keys

    def __getattr__(self, name: str) -> Any:
        if name in self._keys:
            return getattr(self._values, name)
        raise ParamsError(
            f"{self._section}.{name}: stage {self._stage} reads it but dvc.yaml does not list it under the "
            "stage's params; add it there so that changing it reruns the stage"
        )


class StageParams:
    """The parameters as one stage may see them: exactly what its dvc.yaml entry declares."""

    def __init__(self, stage: str, params: Params, declared: Iterable[str]) -> None:
        self._stage, self._params = stage, params
        self._sections: dict[str, object] = {}
        sections = _hints(Params)
        partial: dict[str, set[str]] = {}
        for key in declared:
            section, _, name = key.partition(".")
            if section not in sections:
                raise ParamsError(f"dvc.yaml: stage {stage} declares {key!r}, which params.yaml does not have")
            if name:
                partial.setdefault(section, set()).add(name)
            else:
                self._sections[section] = getattr(params, section)
        for section, names in partial.items():
            unknown = names - {f.name for f in fields(sections[section])}
            if unknown:
                raise ParamsError(f"dvc.yaml: stage {stage} declares {section}.{min(unknown)}, which is not a key")
            if section not in self._sections:
                self._sections[section] = _DeclaredSection(stage, section, getattr(params, section), names)

    def __getattr__(self, section: str) -> Any:
        if section.startswith("_"):
            raise AttributeError(section)
        if section in self._sections:
            return self._sections[section]
        raise ParamsError(
            f"{section}: stage {self._stage} reads this section but dvc.yaml does not list it under the stage's "
            "params; add it there so that changing it reruns the stage"
        )


def for_stage(stage: str, path: str | Path = "params.yaml") -> Params:
    """Validate the whole of params.yaml, then give `stage` the keys its dvc.yaml entry (beside params.yaml)
    declares, and only those: reading any other key raises ParamsError. Typed as Params for the reader's sake."""
    params = load_params(path)
    return cast(Params, StageParams(stage, params, declared_keys(stage, Path(path).parent / "dvc.yaml")))
