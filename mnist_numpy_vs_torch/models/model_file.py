"""The one file format of every saved network, whatever its architecture or framework, and its one-line errors.

A model file holds the network's layer list (models/spec.py, as JSON under SPEC_KEY) and its state_dict, named and
laid out as torch names and lays out nn.Sequential's ("1.weight": (out, in, k, k), ...): NumPy's in an .npz read
with allow_pickle=False (models/numpy_nn.py), torch's in a .pt read with weights_only=True (models/torch_nn.py).
Loading builds the listed layers and checks that the state fits them, name by name and shape by shape
(twins.py's check_state).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mnist_numpy_vs_torch.errors import ModelFileError, first_line
from mnist_numpy_vs_torch.models.spec import Spec

SPEC_KEY = "spec"
RERUN = "run `dvc repro` or `dvc pull`"


def spec_json(spec: Spec) -> str:
    return json.dumps([list(layer) for layer in spec])


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def spec_from_json(path: str | Path, text: str) -> Spec:
    layers = json.loads(text)
    if not isinstance(layers, list) or not all(isinstance(layer, list) and layer for layer in layers):
        raise ModelFileError(f"{path}: its layer list is not a list of layers; {RERUN}")
    return [_tuples(layer) for layer in layers]


def without_spec(path: str | Path, names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names)[:3])
    return f"{path}: no layer list in it ({listed}, ...: written before the layer library); {RERUN}"


def unreadable(path: str | Path, framework: str, error: BaseException) -> str:
    return f"{path}: not a readable {framework} model ({first_line(error)}); {RERUN}"


def built(path: str | Path, build: Callable[[], Any]) -> Any:
    """build(), with a layer list that cannot be built, or a state that does not fit it, as one line naming
    the file."""
    try:
        return build()
    except (KeyError, AttributeError) as error:  # a layer neither framework here has
        raise ModelFileError(f"{path}: its layer list names a layer not known here ({error}); {RERUN}") from error
    except (ValueError, TypeError, RuntimeError) as error:
        raise ModelFileError(f"{path}: its weights do not fit its layers ({first_line(error)}); {RERUN}") from error
