"""report stage: the Markdown comparison of NumPy and PyTorch, with its figures.

Reads the metrics and the comparison evaluate wrote, the training logs, the predictions, the first-layer weights and
the benchmark's recorded figures; writes REPORT_DIR/README.md and the PNG figures beside it. Same inputs, same
bytes: nothing here reads the clock or the machine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.atomic import write_text
from mnist_numpy_vs_torch.comparison.metrics import confusion_matrix
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models import mlp_torch
from mnist_numpy_vs_torch.models.mlp_numpy import NumpyMLP
from mnist_numpy_vs_torch.models.saved import FRAMEWORKS, identify, log_path, model_path, run_path
from mnist_numpy_vs_torch.reporting import figures
from mnist_numpy_vs_torch.reporting.text import FIGURES, both_wrong, markdown, paired_panels
from mnist_numpy_vs_torch.training.log import read_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("benchmark", type=Path, help="the benchmark's results JSON: the only source of speed figures")
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("model_dirs", type=Path, nargs="+", help="models/<architecture>/<framework> folders")
    args = parser.parse_args()
    stage = params.for_stage("report")
    seeds = stage.train.seeds
    directories = {identify(directory)[1]: directory for directory in args.model_dirs}
    scores = json.loads((args.metrics_dir / "scores.json").read_text())
    comparison = json.loads((args.metrics_dir / "comparison.json").read_text())
    benchmark = json.loads(args.benchmark.read_text()) if args.benchmark.is_file() else None
    runs = {f: json.loads(run_path(directories[f]).read_text()) for f in FRAMEWORKS}
    logs = {f: [read_log(log_path(directories[f], s)) for s in seeds] for f in FRAMEWORKS}
    figure_dir = args.report_dir / FIGURES

    figures.curves(logs, figure_dir / "curves.png")
    figures.paired_differences(paired_panels(scores, comparison, seeds), figure_dir / "paired_differences.png")
    with np.load(args.predictions, allow_pickle=False) as predictions:
        labels = predictions["test_labels"].astype(np.int64)
        matrices = {
            f: confusion_matrix(labels, predictions[f"{f}_seed-{seeds[0]}"].astype(np.int64)) for f in FRAMEWORKS
        }
        wrong, captions = both_wrong(predictions, seeds[0], stage.report.misclassified_shown)
        only = [int((predictions[f"{f}_seed-{seeds[0]}"] != labels).sum()) - len(wrong) for f in FRAMEWORKS]
    figures.confusions(matrices, figure_dir / "confusion.png")
    test_images = dataset.load_split(args.prepared_dir, "test").images
    figures.digit_grid(test_images[wrong[: len(captions)]], captions, figure_dir / "misclassified.png")
    first_layers = {
        "numpy": NumpyMLP.load(model_path(directories["numpy"], "numpy", seeds[0])).weights[0],
        "torch": mlp_torch.to_layers(mlp_torch.load(model_path(directories["torch"], "torch", seeds[0])))[0][0],
    }
    figures.first_layer(first_layers, figure_dir / "first_layer.png")
    text = markdown(stage, scores, comparison, runs, benchmark, (len(wrong), only[0], only[1]))
    write_text(args.report_dir / "README.md", text)


if __name__ == "__main__":
    cli.run(main)
