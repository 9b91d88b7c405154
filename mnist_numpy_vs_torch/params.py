"""Load and validate params.yaml: the one place that knows its schema.

Each section becomes a frozen dataclass whose fields carry their own checks, so the schema and the typed object
are one thing. Every stage calls `for_stage(name)` before doing any work: a typo or a wrong type fails at once,
with the key's full dotted name, instead of minutes into a training run. The object it returns answers only the
keys that the stage's `params` list in dvc.yaml declares, so a stage cannot depend on a parameter that DVC does
not know it depends on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, cast

import yaml

from mnist_numpy_vs_torch.errors import ParamsError
from mnist_numpy_vs_torch.mnist import TRAIN_COUNT

Check = Callable[[str, Any], Any]


def _integer(minimum: int | None = None) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{key}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise ParamsError(f"{key}: expected an integer >= {minimum}, got {value}")
        return value

    return check


def _number(minimum: float, *, exclusive: bool = False, maximum: float | None = None) -> Check:
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


def _threads(key: str, value: Any) -> int | str:
    if value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParamsError(f"{key}: expected an integer >= 1 or auto, got {value!r}")
    return value


def _choice(*options: str) -> Check:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise ParamsError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ParamsError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def _list_of(item: Check, *, unique: bool = False) -> Check:
    def check(key: str, value: Any) -> tuple:
        if not isinstance(value, list) or not value:
            raise ParamsError(f"{key}: expected a non-empty list, got {value!r}")
        items = tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))
        if unique and len(set(items)) != len(items):
            raise ParamsError(f"{key}: expected distinct values, got {value!r}")
        return items

    return check


def _fields_of(cls: type) -> Check:
    """A mapping validated field by field into the frozen dataclass `cls` (a section within a section)."""

    def check(key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ParamsError(f"{key}: expected a mapping, got {value!r}")
        return _build(key, cls, value)

    return check


def checked(check: Check) -> Any:
    """A dataclass field validated by `check(dotted_key, raw_value)`, which returns the typed value."""
    return field(metadata={"check": check})


@dataclass(frozen=True)
class DownloadParams:
    mirrors: tuple[str, ...] = checked(_list_of(_text))
    timeout_seconds: float = checked(_number(0, exclusive=True))
    retries: int = checked(_integer(minimum=0))
    backoff_seconds: float = checked(_number(0))


@dataclass(frozen=True)
class ParseParams:
    val_size: int = checked(_integer(minimum=1))
    seed: int = checked(_integer(minimum=0))


@dataclass(frozen=True)
class ModelParams:
    hidden: tuple[int, ...] = checked(_list_of(_integer(minimum=1)))
    init: str = checked(_choice("kaiming_uniform", "kaiming_normal"))


@dataclass(frozen=True)
class TrainParams:
    seeds: tuple[int, ...] = checked(_list_of(_integer(minimum=0), unique=True))
    epochs: int = checked(_integer(minimum=1))
    batch_size: int = checked(_integer(minimum=1))
    lr: float = checked(_number(0, exclusive=True))
    momentum: float = checked(_number(0, maximum=1))
    weight_decay: float = checked(_number(0))
    schedule: str = checked(_choice("cosine", "step", "constant"))
    lr_min: float = checked(_number(0))
    step_size: int = checked(_integer(minimum=1))
    gamma: float = checked(_number(0, exclusive=True))
    shift: int = checked(_integer(minimum=0))  # training images move up to this many whole pixels each way


@dataclass(frozen=True)
class TrainNumpyParams:
    threads: int | str = checked(_threads)  # "auto": machine.threads_for


@dataclass(frozen=True)
class TrainTorchParams:
    device: str = checked(_choice("auto", "cpu", "cuda"))
    threads: int | str = checked(_threads)  # "auto": machine.threads_for


@dataclass(frozen=True)
class Margins:
    """Equivalence margins on NumPy - PyTorch: accuracies as fractions (0.001 = 0.1 pp), losses in nats."""

    test_accuracy: float = checked(_number(0, exclusive=True))
    val_accuracy: float = checked(_number(0, exclusive=True))
    test_loss: float = checked(_number(0, exclusive=True))
    val_loss: float = checked(_number(0, exclusive=True))


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: int = checked(_integer(minimum=1))
    confidence: float = checked(_number(0, exclusive=True, maximum=1))
    margins: Margins = checked(_fields_of(Margins))


@dataclass(frozen=True)
class ReportParams:
    misclassified_shown: int = checked(_integer(minimum=0))


@dataclass(frozen=True)
class Params:
    download: DownloadParams
    parse: ParseParams
    model: ModelParams
    train: TrainParams
    train_numpy: TrainNumpyParams
    train_torch: TrainTorchParams
    evaluate: EvaluateParams
    report: ReportParams


SECTIONS: dict[str, type] = {
    "download": DownloadParams,
    "parse": ParseParams,
    "model": ModelParams,
    "train": TrainParams,
    "train_numpy": TrainNumpyParams,
    "train_torch": TrainTorchParams,
    "evaluate": EvaluateParams,
    "report": ReportParams,
}


def validate(raw: Any) -> Params:
    """Check `raw` (params.yaml as parsed) against the schema; return the typed, frozen parameters."""
    if not isinstance(raw, dict):
        raise ParamsError(f"params.yaml: expected a mapping of sections, got {type(raw).__name__}")
    _refuse_unknown("", raw, SECTIONS)
    sections = {}
    for section, cls in SECTIONS.items():
        values = raw.get(section)
        if not isinstance(values, dict):
            names = ", ".join(f.name for f in fields(cls))
            raise ParamsError(f"{section}: missing section (expected keys {names})")
        sections[section] = _build(section, cls, values)
    params = Params(**sections)
    _check_across_sections(params)
    return params


def _build(prefix: str, cls: type, values: dict) -> Any:
    checks = {f.name: f.metadata["check"] for f in fields(cls)}
    _refuse_unknown(f"{prefix}.", values, checks)
    typed = {}
    for name, check in checks.items():
        key = f"{prefix}.{name}"
        if name not in values:
            raise ParamsError(f"{key}: missing")
        typed[name] = check(key, values[name])
    return cls(**typed)


def _refuse_unknown(prefix: str, values: dict, known: Iterable[str]) -> None:
    for name in values:
        if name not in known:
            raise ParamsError(f"{prefix}{name}: unknown key (expected one of {', '.join(known)})")


def _check_across_sections(params: Params) -> None:
    if params.parse.val_size >= TRAIN_COUNT:
        raise ParamsError(
            f"parse.val_size: expected fewer than the {TRAIN_COUNT} training images, got {params.parse.val_size}"
        )
    if params.train.lr_min > params.train.lr:
        raise ParamsError(f"train.lr_min: expected at most train.lr ({params.train.lr}), got {params.train.lr_min}")


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; raise ParamsError naming the file or key on any fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(f"{path}: cannot read ({error.strerror})") from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from error
    return validate(raw)


def declared_keys(stage: str, dvc_yaml: str | Path = "dvc.yaml") -> list[str]:
    """The params.yaml keys that `stage` lists under `params` in dvc.yaml: sections ("train") or keys
    ("train.seeds")."""
    dvc_yaml = Path(dvc_yaml)
    try:
        stages = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"]
        entries = stages[stage].get("params", [])
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise ParamsError(f"{dvc_yaml}: cannot read the params of stage {stage!r} ({error!r})") from error
    keys = []
    for entry in entries:
        if isinstance(entry, dict):  # {other_file.yaml: [keys]}: only params.yaml is ours
            keys += [key for file, listed in entry.items() if file == "params.yaml" for key in listed]
        else:
            keys.append(str(entry))
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
        partial: dict[str, set[str]] = {}
        for key in declared:
            section, _, name = key.partition(".")
            if section not in SECTIONS:
                raise ParamsError(f"dvc.yaml: stage {stage} declares {key!r}, which params.yaml does not have")
            if name:
                partial.setdefault(section, set()).add(name)
            else:
                self._sections[section] = getattr(params, section)
        for section, names in partial.items():
            unknown = names - {f.name for f in fields(SECTIONS[section])}
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
