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
from mnist_numpy_vs_torch.comparison.metrics import confusion_matrix, seeds_scored, shared_errors
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS, ModelId, group_folders
from mnist_numpy_vs_torch.reporting import figures
from mnist_numpy_vs_torch.reporting.figure_data import FIRST_SEED, error_captions, paired_panels
from mnist_numpy_vs_torch.reporting.text import markdown
from mnist_numpy_vs_torch.reporting.words import FIGURES, figure
from mnist_numpy_vs_torch.training.log import read_logs


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
    folders = group_folders(args.model_dirs)
    scores, comparison, runs = (
        json.loads((args.metrics_dir / f"{name}.json").read_text()) for name in ("scores", "comparison", "runs")
    )
    benchmark = json.loads(args.benchmark.read_text()) if args.benchmark.is_file() else None
    test_images = dataset.load_split(args.prepared_dir, "test").images
    errors = {}
    with np.load(args.predictions, allow_pickle=False) as predictions:
        labels = predictions["test_labels"].astype(np.int64)
        for architecture, by_framework in folders.items():
            seeds = seeds_scored(comparison[architecture])
            logs = {framework: read_logs(folder, seeds) for framework, folder in by_framework.items()}
            figures.curves(logs, args.report_dir / figure("curves", architecture))
            panels = paired_panels(scores[architecture], comparison[architecture])
            figures.paired_differences(panels, args.report_dir / figure("paired_differences", architecture))
            first = {f: predictions[ModelId(architecture, f, FIRST_SEED).key].astype(np.int64) for f in FRAMEWORKS}
            matrices = {framework: confusion_matrix(labels, predicted) for framework, predicted in first.items()}
            figures.confusions(matrices, args.report_dir / figure("confusion", architecture))
            errors[architecture] = shared_errors(labels, first["numpy"], first["torch"])
            shown = errors[architecture].both[: stage.report.misclassified_shown]
            captions = error_captions(labels, first, shown)
            figures.digit_grid(test_images[shown], captions, args.report_dir / figure("misclassified", architecture))
    figures.first_layers(folders, FIRST_SEED, args.report_dir / FIGURES)
    write_text(args.report_dir / "README.md", markdown(stage, scores, comparison, runs, benchmark, errors))


if __name__ == "__main__":
    cli.run(main)
