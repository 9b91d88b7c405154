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

from mnist_numpy_vs_torch import cli, dataset, mlp_torch, params, plotting
from mnist_numpy_vs_torch.atomic import write_text
from mnist_numpy_vs_torch.metrics import confusion_matrix
from mnist_numpy_vs_torch.mlp_numpy import NumpyMLP
from mnist_numpy_vs_torch.report_text import FIGURES, both_wrong, markdown, paired_panels
from mnist_numpy_vs_torch.saved_models import FRAMEWORKS, log_path, model_path, run_path
from mnist_numpy_vs_torch.training_log import read_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("numpy_dir", type=Path)
    parser.add_argument("torch_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("benchmark", type=Path, help="the benchmark's results JSON: the only source of speed figures")
    parser.add_argument("report_dir", type=Path)
    args = parser.parse_args()
    stage = params.for_stage("report")
    seeds, hidden = stage.train.seeds, stage.model.hidden
    directories = {"numpy": args.numpy_dir, "torch": args.torch_dir}
    scores = json.loads((args.metrics_dir / "scores.json").read_text())
    comparison = json.loads((args.metrics_dir / "comparison.json").read_text())
    benchmark = json.loads(args.benchmark.read_text()) if args.benchmark.is_file() else None
    runs = {f: json.loads(run_path(directories[f]).read_text()) for f in FRAMEWORKS}
    logs = {f: [read_log(log_path(directories[f], s)) for s in seeds] for f in FRAMEWORKS}
    figures = args.report_dir / FIGURES

    plotting.curves(logs, figures / "curves.png")
    plotting.paired_differences(paired_panels(scores, comparison, seeds), figures / "paired_differences.png")
    with np.load(args.predictions, allow_pickle=False) as predictions:
        labels = predictions["test_labels"].astype(np.int64)
        matrices = {
            f: confusion_matrix(labels, predictions[f"{f}_seed-{seeds[0]}"].astype(np.int64)) for f in FRAMEWORKS
        }
        wrong, captions = both_wrong(predictions, seeds[0], stage.report.misclassified_shown)
        only = [int((predictions[f"{f}_seed-{seeds[0]}"] != labels).sum()) - len(wrong) for f in FRAMEWORKS]
    plotting.confusions(matrices, figures / "confusion.png")
    test_images = dataset.load_split(args.prepared_dir, "test").images
    plotting.digit_grid(test_images[wrong[: len(captions)]], captions, figures / "misclassified.png")
    first_layers = {
        "numpy": NumpyMLP.load(model_path(args.numpy_dir, "numpy", seeds[0])).weights[0],
        "torch": mlp_torch.to_layers(mlp_torch.load(model_path(args.torch_dir, "torch", seeds[0]), hidden))[0][0],
    }
    plotting.first_layer(first_layers, figures / "first_layer.png")
    text = markdown(stage, scores, comparison, runs, benchmark, (len(wrong), only[0], only[1]))
    write_text(args.report_dir / "README.md", text)


if __name__ == "__main__":
    cli.run(main)
