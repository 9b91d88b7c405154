"""The benchmark's races as the report's speed table reads them (benchmarks/results.json: per machine, the epochs
`python -m benchmarks.run` timed of each framework in turn). Only the benchmark's paired measurement speaks of
speed; the stages' own timings never do."""

from __future__ import annotations

from dataclasses import dataclass

# The architectures whose rows the table follows with the ratio NumPy's epoch would have if every line but its BLAS
# products took no time: the CNN, the network whose NumPy step the speed work is about (docs/performance.md), for
# which that bound is NumPy's own limit.
BLAS_BOUND_SHOWN = ("cnn",)


@dataclass(frozen=True)
class Setting:
    """One row of the table: a network, its batch size and the threads each framework had."""

    model: str  # as the benchmark names the network
    architecture: str
    batch_size: int
    threads: int


def measured_machines(benchmark: dict | None) -> dict[str, dict]:
    """The machines, by the benchmark's label, on which the races ran; none when no benchmark is recorded."""
    machines = (benchmark or {}).get("machines", {})
    return {label: entry for label, entry in machines.items() if entry.get("epochs")}


def races_by_setting(machines: dict[str, dict]) -> dict[Setting, dict[str, dict]]:
    """Each setting's race on each machine that ran it, the settings in the order the benchmark runs them."""
    races: dict[Setting, dict[str, dict]] = {}
    for label, entry in machines.items():
        for race in entry["epochs"]:
            setting = Setting(race["model"], race["architecture"], race["batch_size"], race["threads"])
            races.setdefault(setting, {})[label] = race
    return races


def measured_on(entry: dict) -> str:
    """The day a machine's races ran, and the code they ran where the benchmark recorded it."""
    commit = entry.get("commit", {}).get("epochs")
    day = entry["measured_on"]["epochs"]
    return f"{day}, {commit}" if commit else day
