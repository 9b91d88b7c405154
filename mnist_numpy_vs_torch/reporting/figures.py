"""The report's figures, drawn with matplotlib and saved byte-for-byte reproducibly."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.models import numpy_nn, torch_nn
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.models.folders import LABELS, model_path
from mnist_numpy_vs_torch.training.log import EpochRecord

COLOURS = {"numpy": "tab:blue", "torch": "tab:orange"}


def save(figure: plt.Figure, path: str | Path) -> None:
    """PNG without a software tag or timestamp: the same figure gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def curves(logs: dict[str, list[list[EpochRecord]]], path: str | Path) -> None:
    """Train loss, val loss and val accuracy per epoch: the mean over seeds, with the min-max band."""
    quantities = [("train_loss", "train loss"), ("val_loss", "validation loss"), ("val_accuracy", "val. accuracy")]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for ax, (column, title) in zip(axes, quantities):
        for framework, runs in logs.items():
            values = np.array([[getattr(r, column) for r in run] for run in runs])
            epochs = np.arange(1, values.shape[1] + 1)
            ax.plot(epochs, values.mean(axis=0), color=COLOURS[framework], label=LABELS[framework])
            ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=COLOURS[framework], alpha=0.25)
        ax.set(title=title, xlabel="epoch")
        if column.endswith("loss"):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend()
    save(figure, path)


def confusions(matrices: dict[str, np.ndarray], path: str | Path) -> None:
    figure, axes = plt.subplots(1, len(matrices), figsize=(5.2 * len(matrices), 4.6), layout="constrained")
    for ax, (framework, matrix) in zip(np.atleast_1d(axes), matrices.items()):
        off_diagonal = matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype))
        ax.imshow(off_diagonal, cmap="Reds")
        for (row, col), count in np.ndenumerate(matrix):
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7, color="gray" if row == col else "k")
        ax.set(title=f"{LABELS[framework]} (errors shaded)", xlabel="predicted", ylabel="true")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
    save(figure, path)


def digit_grid(images: np.ndarray, titles: list[str], path: str | Path, columns: int = 8) -> None:
    rows = max(1, -(-len(images) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.6 * rows), layout="constrained")
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, image, title in zip(np.ravel(axes), images, titles):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize=8)
    save(figure, path)


def first_layer(weights: dict[str, np.ndarray], path: str | Path, units: int = 12) -> None:
    """The first `units` hidden units' input weights of each model (rows of a Linear's (out, 784) weight), drawn
    as 28x28 images."""
    figure, axes = plt.subplots(len(weights), units, figsize=(1.1 * units, 1.3 * len(weights)), layout="constrained")
    for row, (framework, weight) in zip(np.atleast_2d(axes), weights.items()):
        for unit, ax in enumerate(row):
            image = weight[unit].reshape(28, 28)
            limit = np.abs(image).max()
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(LABELS[framework])
    save(figure, path)


def filters(kernels: dict[str, np.ndarray], path: str | Path) -> None:
    """Each framework's first-convolution kernels (F, 1, k, k), drawn as k x k images, one row per framework."""
    count = max(len(k) for k in kernels.values())
    figure, axes = plt.subplots(len(kernels), count, figsize=(0.8 * count, 1.0 * len(kernels)), layout="constrained")
    for row, (framework, kernel) in zip(np.atleast_2d(axes), kernels.items()):
        for ax, image in zip(row, kernel[:, 0]):
            limit = np.abs(image).max()
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(LABELS[framework])
    save(figure, path)


def paired_differences(differences: dict[str, dict], path: str | Path) -> None:
    """Per metric: each seed's NumPy - PyTorch difference (dots), the interval (bar), the margin (band), zero."""
    figure, axes = plt.subplots(1, len(differences), figsize=(3.3 * len(differences), 3.4), layout="constrained")
    for ax, (title, panel) in zip(np.atleast_1d(axes), differences.items()):
        scale = panel["scale"]
        margin = panel["margin"] * scale
        ax.axhspan(-margin, margin, color="tab:green", alpha=0.15, label="margin")
        ax.axhline(0, color="gray", linewidth=0.8)
        seeds = np.asarray(panel["per_seed"]) * scale
        ax.scatter(np.linspace(-0.15, 0.15, len(seeds)), seeds, color="k", s=14, zorder=3, label="seeds")
        mean = panel["mean"] * scale
        if panel["ci_low"] is None:  # one seed: no interval to draw
            low = high = mean
        else:
            low, high = panel["ci_low"] * scale, panel["ci_high"] * scale
        ax.errorbar(
            [0.45],
            [mean],
            yerr=[[mean - low], [high - mean]],
            fmt="o",
            color="tab:red",
            capsize=6,
            label="mean, interval",
        )
        limit = max(margin, abs(low), abs(high), *np.abs(seeds)) * 1.25
        ax.set(title=title, ylabel=panel["unit"], xlim=(-0.5, 0.9), ylim=(-limit, limit))
        ax.set_xticks([])
        ax.grid(alpha=0.3, axis="y")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)
    save(figure, path)


def first_layers(directories: dict[str, dict[str, Path]], seed: int, figure_dir: Path) -> None:
    """What each architecture's first layer learned, both frameworks side by side, drawn as its table entry says:
    "images" (a Linear's weights as 28x28 images) or "filters" (a convolution's kernels); first_layer_<name>.png."""
    draw = {"images": first_layer, "filters": filters}
    for architecture, by_framework in directories.items():
        first = {
            "numpy": numpy_nn.load(model_path(by_framework["numpy"], "numpy", seed)).state_dict(),
            "torch": torch_nn.state_arrays(torch_nn.load(model_path(by_framework["torch"], "torch", seed))),
        }
        weights = {framework: next(iter(state.values())) for framework, state in first.items()}
        draw[ARCHITECTURES[architecture].first_layer](weights, figure_dir / f"first_layer_{architecture}.png")
