"""Each stage's view of params.yaml: only the keys that the stage's `params` list in dvc.yaml declares, so that a
stage cannot depend on a parameter that DVC does not know it depends on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from mnist_numpy_vs_torch.errors import ParamsError
from mnist_numpy_vs_torch.params.checks import hints
from mnist_numpy_vs_torch.params.load import load_params
from mnist_numpy_vs_torch.params.schema import (
    CNNParams,
    DownloadParams,
    EvaluateParams,
    MLPParams,
    Params,
    ParseParams,
    ReportParams,
    TrainNumpyParams,
    TrainParams,
    TrainTorchParams,
)


def declared_keys(stage: str, dvc_yaml: str | Path = "dvc.yaml") -> list[str]:
    """The params.yaml keys that `stage` lists under `params` in dvc.yaml: sections ("train") or keys
    ("mlp.seeds"). A matrix stage is named as DVC names it, `train_numpy@mlp`: its values fill `${item.x}`."""
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
    """The parameters as one stage may see them: exactly what its dvc.yaml entry declares.

    Not a Params: reading a section that the entry does not declare raises ParamsError, and a section that it
    declares in part is a _DeclaredSection, which answers those keys with the section's values and raises for
    the rest. The annotations below type each section as its keys read; __getattr__ supplies the values, and a
    unit test keeps the annotations equal to Params's fields.
    """

    download: DownloadParams
    parse: ParseParams
    train: TrainParams
    mlp: MLPParams
    cnn: CNNParams
    train_numpy: TrainNumpyParams
    train_torch: TrainTorchParams
    evaluate: EvaluateParams
    report: ReportParams

    def __init__(self, stage: str, params: Params, declared: Iterable[str]) -> None:
        self._stage, self._params = stage, params
        self._sections: dict[str, object] = {}
        sections = hints(Params)
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


def for_stage(stage: str, path: str | Path = "params.yaml") -> StageParams:
    """Validate the whole of params.yaml, then give `stage` the keys its dvc.yaml entry (beside params.yaml)
    declares, and only those: reading any other key raises ParamsError."""
    params = load_params(path)
    return StageParams(stage, params, declared_keys(stage, Path(path).parent / "dvc.yaml"))
