"""How the report writes what it shows: the figures' paths, the metrics' names, and numbers in the unit a reader
thinks in (percentage points of accuracy, nats of loss)."""

from __future__ import annotations

from dataclasses import dataclass

from mnist_numpy_vs_torch.comparison import rule

FIGURES = "figures"  # the report's folder of figures, beside its README.md
SPLITS = {"test": "test", "val": "validation"}
OUTCOME_WORDS = {
    rule.EQUIVALENT: "equivalent",
    rule.NUMPY_AHEAD: "NumPy ahead",
    rule.TORCH_AHEAD: "PyTorch ahead",
    rule.INCONCLUSIVE: "inconclusive: more seeds needed",
}


@dataclass(frozen=True)
class Unit:
    name: str
    scale: float  # from the metric's own unit: accuracy is a fraction, written in percent
    digits: int  # of a difference between the frameworks
    table_digits: int  # of a value, a mean or a spread in a table


UNITS = {"accuracy": Unit("pp", 100.0, 3, 2), "loss": Unit("nats", 1.0, 4, 4)}


def figure(kind: str, architecture: str) -> str:
    """A figure's path from the report's folder: figures/<kind>_<architecture>.png."""
    return f"{FIGURES}/{kind}_{architecture}.png"


def metric_name(split: str, quantity: str) -> str:
    """A metric as the report names it: "test accuracy", "validation loss"."""
    return f"{SPLITS[split]} {quantity}"


def amount(value: float, quantity: str, signed: bool = True) -> str:
    """A difference with its unit: "+0.018 pp", "-0.0001 nats"."""
    unit = UNITS[quantity]
    return f"{value * unit.scale:{'+' if signed else ''}.{unit.digits}f} {unit.name}"


def margin(value: float, quantity: str) -> str:
    """A margin as params.yaml gives it, in the unit: "0.1 pp", "0.005 nats"."""
    unit = UNITS[quantity]
    return f"{value * unit.scale:g} {unit.name}"


def number(value: float, quantity: str, signed: bool = False) -> str:
    """A table's cell, without the unit its column names: "98.92", "+0.07", "0.0384"."""
    unit = UNITS[quantity]
    return f"{value * unit.scale:{'+' if signed else ''}.{unit.table_digits}f}"


def mean_and_spread(stats: dict[str, float], quantity: str) -> str:
    """The mean over seeds ± their sample standard deviation, as metrics/scores.json holds them."""
    return f"{number(stats['mean'], quantity)} ± {number(stats['std'], quantity)}"


def percent(fraction: float) -> str:
    """A confidence or a probability: "95%"."""
    return f"{fraction:.0%}"


def plural(count: int, noun: str) -> str:
    """A count and what it counts: "1 thread", "2 threads"."""
    return f"{count} {noun}{'s' if count > 1 else ''}"


def table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
