"""report stage: the Markdown comparison of NumPy and PyTorch for every architecture, with its figures.

Reads the metrics and the comparison evaluate wrote, the training logs, the predictions, the first layers' weights
and the benchmark's recorded figures; writes REPORT_DIR/README.md and the PNG figures beside it. Same inputs, same
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
from mnist_numpy_vs_torch.models.saved import FRAMEWORKS, identify, log_path
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
    first_seed = 0  # the seed whose errors and first layers the report draws
    directories: dict[str, dict[str, Path]] = {}
    for directory in args.model_dirs:
        architecture, framework = identify(directory)
        directories.setdefault(architecture, {})[framework] = directory
    scores = json.loads((args.metrics_dir / "scores.json").read_text())
    comparison = json.loads((args.metrics_dir / "comparison.json").read_text())
    runs = json.loads((args.metrics_dir / "runs.json").read_text())
    benchmark = json.loads(args.benchmark.read_text()) if args.benchmark.is_file() else None
    figure_dir = args.report_dir / FIGURES
    test_images = dataset.load_split(args.prepared_dir, "test").images
    wrong_counts = {}
    with np.load(args.predictions, allow_pickle=False) as predictions:
        labels = predictions["test_labels"].astype(np.int64)
        for architecture, by_framework in directories.items():
            seeds = tuple(range(comparison[architecture]["seeds"]))  # the seeds evaluate scored
            logs = {f: [read_log(log_path(by_framework[f], s)) for s in seeds] for f in FRAMEWORKS}
            figures.curves(logs, figure_dir / f"curves_{architecture}.png")
            panels = paired_panels(scores[architecture], comparison[architecture], seeds)
            figures.paired_differences(panels, figure_dir / f"paired_differences_{architecture}.png")
            first = {f: predictions[f"{architecture}_{f}_seed-{first_seed}"].astype(np.int64) for f in FRAMEWORKS}
            figures.confusions(
                {f: confusion_matrix(labels, first[f]) for f in FRAMEWORKS},
                figure_dir / f"confusion_{architecture}.png",
            )
            wrong, captions = both_wrong(predictions, architecture, first_seed, stage.report.misclassified_shown)
            only = [int((first[f] != labels).sum()) - len(wrong) for f in FRAMEWORKS]
            wrong_counts[architecture] = (len(wrong), only[0], only[1])
            figures.digit_grid(
                test_images[wrong[: len(captions)]], captions, figure_dir / f"misclassified_{architecture}.png"
            )
    figures.first_layers(directories, first_seed, figure_dir)
    text = markdown(stage, scores, comparison, runs, benchmark, wrong_counts)
    write_text(args.report_dir / "README.md", text)


if __name__ == "__main__":
    cli.run(main)
