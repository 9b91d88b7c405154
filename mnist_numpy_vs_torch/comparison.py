"""Turning two mean ± std figures into words: a difference within the seed-to-seed spread is a tie."""

from __future__ import annotations


def verdict(
    quantity: str,
    numpy_stats: dict[str, float],
    torch_stats: dict[str, float],
    *,
    tie_sigmas: float,
    seeds: int,
    higher_is_better: bool = True,
    unit: str = "",
    scale: float = 1.0,
) -> str:
    """One sentence: tie, or which framework is better and by how much against the spread over seeds.

    The spread is the larger of the two sample standard deviations; a difference up to `tie_sigmas` times it is a
    tie. With a single seed there is no spread to compare against, so no winner is named.
    """
    difference = round((numpy_stats["mean"] - torch_stats["mean"]) * scale, 9)  # no float dust like 2e-14
    spread = max(numpy_stats["std"], torch_stats["std"]) * scale
    shown = f"{abs(difference):.3g}{unit}"
    if seeds < 2:
        return f"{quantity}: no verdict from one seed (difference {shown}, spread unknown); train several seeds."
    if abs(difference) <= tie_sigmas * spread:
        return (
            f"{quantity}: **tie** — the difference, {shown}, is within {tie_sigmas:g}x "
            f"the seed-to-seed spread ({spread:.3g}{unit})."
        )
    numpy_better = (difference > 0) == higher_is_better
    winner, loser = ("NumPy", "PyTorch") if numpy_better else ("PyTorch", "NumPy")
    return (
        f"{quantity}: **{winner}** ahead of {loser} by {shown}, more than {tie_sigmas:g}x "
        f"the seed-to-seed spread ({spread:.3g}{unit})."
    )
