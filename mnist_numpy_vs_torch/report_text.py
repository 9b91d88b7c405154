"""The report's Markdown: the comparison table, the verdicts, the configuration and the figures' captions."""

from __future__ import annotations

import itertools

import numpy as np

from mnist_numpy_vs_torch.comparison import verdict
from mnist_numpy_vs_torch.params import Params
from mnist_numpy_vs_torch.plotting import LABELS
from mnist_numpy_vs_torch.saved_models import FRAMEWORKS
from mnist_numpy_vs_torch.seeding import layer_sizes

FIGURES = "figures"


def parameter_count(hidden: list[int]) -> int:
    return sum(a * b + b for a, b in itertools.pairwise(layer_sizes(hidden)))


def both_wrong(predictions: np.lib.npyio.NpzFile, seed: int, limit: int) -> tuple[np.ndarray, list[str]]:
    """Indices of test digits both frameworks' models of `seed` get wrong, with a caption each."""
    labels = predictions["test_labels"]
    numpy_pred, torch_pred = predictions[f"numpy_seed-{seed}"], predictions[f"torch_seed-{seed}"]
    wrong = np.flatnonzero((numpy_pred != labels) & (torch_pred != labels))
    captions = [f"true {labels[i]}\nNP {numpy_pred[i]} · PT {torch_pred[i]}" for i in wrong[:limit]]
    return wrong, captions


def pm(stats: dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    return f"{stats['mean'] * scale:.{digits}f} ± {stats['std'] * scale:.{digits}f}"


def markdown(params: Params, scores: dict, timings: dict, runs: dict, wrong_counts: tuple[int, int, int]) -> str:
    train, model = params.train, params.model
    seeds, sigmas = len(train.seeds), params.report.tie_sigmas
    n, t = scores["numpy"]["test"], scores["torch"]["test"]
    nv, tv = scores["numpy"]["val"], scores["torch"]["val"]
    ns, ts = timings["numpy"], timings["torch"]
    params_count = parameter_count(model.hidden)
    both, only_numpy, only_torch = wrong_counts
    verdicts = [
        verdict("Test accuracy", n["accuracy"], t["accuracy"], tie_sigmas=sigmas, seeds=seeds, unit=" pp", scale=100),
        verdict("Test loss", n["loss"], t["loss"], tie_sigmas=sigmas, seeds=seeds, higher_is_better=False),
        verdict(
            "Training time per epoch",
            ns["epoch_seconds"],
            ts["epoch_seconds"],
            tie_sigmas=sigmas,
            seeds=seeds,
            higher_is_better=False,
            unit=" s",
        ),
    ]
    schedule = {"cosine": f"cosine to {train.lr_min:g}", "step": "step", "constant": "constant"}[train.schedule]
    if train.schedule == "step":
        schedule = f"x{train.gamma:g} every {train.step_size} epochs"
    lines = [
        "# NumPy vs PyTorch on MNIST",
        "",
        "The same multilayer perceptron, trained from the same initial weights on the same batches in the same order,",
        f"once written from scratch in NumPy and once in PyTorch; {seeds} seeds each. Figures are mean ± standard",
        f"deviation over seeds; a difference within {sigmas:g}x the seed-to-seed spread is called a tie.",
        "",
        "| | NumPy | PyTorch |",
        "|---|---:|---:|",
        f"| test accuracy (%) | {pm(n['accuracy'], 100)} | {pm(t['accuracy'], 100)} |",
        f"| test loss (cross-entropy) | {pm(n['loss'], digits=4)} | {pm(t['loss'], digits=4)} |",
        f"| validation accuracy (%) | {pm(nv['accuracy'], 100)} | {pm(tv['accuracy'], 100)} |",
        f"| validation loss | {pm(nv['loss'], digits=4)} | {pm(tv['loss'], digits=4)} |",
        f"| train time per epoch (s, median epoch) | {pm(ns['epoch_seconds'], digits=3)} "
        f"| {pm(ts['epoch_seconds'], digits=3)} |",
        f"| samples / s | {pm(ns['samples_per_second'], digits=0)} | {pm(ts['samples_per_second'], digits=0)} |",
        f"| parameters | {params_count:,} | {params_count:,} |",
        "",
        "Timings come from this run's training logs: each framework trained in its own stage, minutes apart, and on a",
        "shared machine speed drifts by tens of percent over such spans. For speed, trust the benchmark",
        "(`python -m benchmarks.run`), which alternates the two frameworks epoch by epoch.",
        "",
        "## Verdict",
        "",
        *(f"- {line}" for line in verdicts),
        "",
        f"Test digits misclassified by the seed-{train.seeds[0]} models: {both} by both, {only_numpy} by NumPy "
        f"only, {only_torch} by PyTorch only.",
        "",
        "## Configuration",
        "",
        f"- Model: 784 → {' → '.join(map(str, model.hidden))} → 10, ReLU, {model.init.replace('_', ' ')} "
        "initialisation, biases zero, softmax cross-entropy.",
        f"- Optimiser: SGD, learning rate {train.lr:g} ({schedule}, per step), momentum {train.momentum:g}, "
        f"weight decay {train.weight_decay:g} on weights; batch size {train.batch_size}, "
        f"{train.epochs} epochs.",
        f"- Seeds: {', '.join(map(str, train.seeds))}. Validation: {params.parse.val_size} images carved "
        "from the training set, stratified; the test set is used for nothing but this report.",
        *(
            f"- {LABELS[f]}: {runs[f]['framework']}, BLAS {runs[f]['blas']}, {runs[f]['device']}, "
            f"{runs[f]['threads']} threads."
            for f in FRAMEWORKS
        ),
        "",
        "## Figures",
        "",
        f"![Training curves]({FIGURES}/curves.png)",
        "",
        "Mean over seeds, band from the lowest to the highest seed.",
        "",
        f"![Confusion matrices]({FIGURES}/confusion.png)",
        "",
        f"![Test digits both models get wrong]({FIGURES}/misclassified.png)",
        "",
        f"![First-layer weights]({FIGURES}/first_layer.png)",
        "",
        "First-layer weights of the first hidden units, as 28x28 images: the two frameworks' look alike because",
        "they start from the same weights and see the same batches.",
        "",
    ]
    return "\n".join(lines)
