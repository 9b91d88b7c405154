"""evaluate stage: score every trained model on the val and test splits; write metrics and plot data.

Outputs, in METRICS_DIR (committed to git) and at PREDICTIONS (cached by DVC):
  summary.json    the figures `dvc metrics` and `dvc exp show` list: per architecture, the test means, the paired
                  NumPy - PyTorch accuracy difference and the test verdicts; between architectures, the paired
                  accuracy difference within each framework
  scores.json     accuracy and loss per architecture, framework and split: mean/std over seeds, and each seed
  per_class.json  precision / recall / F1 per class on test, mean over seeds
  comparison.json per architecture, the paired NumPy - PyTorch verdict per metric (interval, margin) and McNemar's
                  test per seed; under "between", each later architecture minus each earlier one, within each framework
  loss.tsv, accuracy.tsv   per-epoch training and validation curves, mean over seeds, for `dvc plots`
  test_errors.csv the first seed's test errors (actual, predicted, count, share of the true class), for `dvc plots`
  runs.json       what each framework ran on (library versions, BLAS, device), from the trainers
  PREDICTIONS     test-set predictions of every model, for the report
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.atomic import atomic_write, write_json, write_text
from mnist_numpy_vs_torch.comparison.scoring import curve_rows, error_rows, evaluate, summary
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.folders import group_folders, read_runs
from mnist_numpy_vs_torch.training.log import mean_curves

LOSSES = {"train_loss": "training", "val_loss": "validation"}  # log column -> what the plot calls its data
ACCURACIES = {"val_accuracy": "validation"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("model_dirs", type=Path, nargs="+", help="models/<architecture>/<framework> folders")
    args = parser.parse_args()
    stage = params.for_stage("evaluate")
    splits = {name: dataset.load_inputs(args.prepared_dir, name) for name in ("val", "test")}
    folders = group_folders(args.model_dirs)
    seeds = {architecture: range(getattr(stage, architecture).seeds) for architecture in folders}
    runs = read_runs(folders)

    evaluation = evaluate(folders, splits, seeds, stage.evaluate)
    curves = mean_curves(folders, seeds)

    write_json(args.metrics_dir / "scores.json", evaluation.scores)
    write_json(args.metrics_dir / "comparison.json", evaluation.comparison)
    write_json(args.metrics_dir / "summary.json", summary(evaluation.scores, evaluation.comparison))
    write_json(args.metrics_dir / "runs.json", runs)
    write_json(args.metrics_dir / "per_class.json", evaluation.per_class)
    write_text(args.metrics_dir / "loss.tsv", curve_rows(curves, LOSSES, "loss"))
    write_text(args.metrics_dir / "accuracy.tsv", curve_rows(curves, ACCURACIES, "accuracy"))
    write_text(args.metrics_dir / "test_errors.csv", error_rows(evaluation.first_confusions))
    predictions = {model.key: predicted for model, predicted in evaluation.predictions.items()}
    with atomic_write(args.predictions) as handle:
        np.savez(handle, test_labels=splits["test"].y.astype(np.uint8), **predictions)


if __name__ == "__main__":
    cli.run(main)
