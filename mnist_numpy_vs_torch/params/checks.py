"""The checks that the schema names, and the builder that applies them: a small validation library.

A check is `check(dotted_key, raw_value)`: it returns the typed value or raises ParamsError naming the key. This
module knows no section of params.yaml, so that the schema can import it without a cycle.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from typing import Annotated, Any

from mnist_numpy_vs_torch.errors import ParamsError

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


def hints(cls: type) -> dict[str, Any]:
    """`cls`'s field types with their Annotated checks, resolved in the module that defines `cls`."""
    return typing.get_type_hints(cls, include_extras=True)


def build(prefix: str, cls: type, values: Any) -> Any:
    """`values` checked field by field into the frozen dataclass `cls`."""
    if not isinstance(values, dict):
        raise ParamsError(f"{prefix}: expected a mapping, got {values!r}")
    types = hints(cls)
    names = [f.name for f in fields(cls)]
    refuse_unknown(f"{prefix}.", values, names)
    typed = {}
    for name in names:
        key = f"{prefix}.{name}"
        if name not in values:
            raise ParamsError(f"{key}: missing")
        hint = types[name]
        if typing.get_origin(hint) is Annotated:
            typed[name] = hint.__metadata__[0](key, values[name])
        elif isinstance(hint, type) and is_dataclass(hint):
            typed[name] = build(key, hint, values[name])
        else:
            raise TypeError(f"{cls.__name__}.{name}: the schema gives no check")
    return cls(**typed)


def refuse_unknown(prefix: str, values: dict, known: Iterable[str]) -> None:
    for name in values:
        if name not in known:
            raise ParamsError(f"{prefix}{name}: unknown key (expected one of {', '.join(known)})")
