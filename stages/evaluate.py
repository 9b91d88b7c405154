"""evaluate stage: score every trained model on the val and test splits; write metrics and plot data.

Outputs, in METRICS_DIR (committed to git) and at PREDICTIONS (cached by DVC):
  summary.json    the figures `dvc metrics` and `dvc exp show` list: per architecture, the test means, the paired
                  NumPy - PyTorch accuracy difference and the test verdicts; between architectures, the paired
                  accuracy difference within each framework
  scores.json     accuracy and loss per architecture, framework and split: mean/std over seeds, and each seed
  per_class.json  precision / recall / F1 per class on test, mean over seeds
  comparison.json per architecture, the paired NumPy - PyTorch verdict per metric (interval, margin) and McNemar's
                  test per seed; under "between", each later architecture minus the first, within each framework
  loss.tsv, accuracy.tsv   per-epoch training and validation curves, mean over seeds, for `dvc plots`
  test_errors.csv the first seed's test errors (actual, predicted, count, share of the true class), for `dvc plots`
  runs.json       what each framework ran on (library versions, BLAS, device), from the trainers
  PREDICTIONS     test-set predictions of every model, for the report
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.atomic import atomic_write, write_json, write_text
from mnist_numpy_vs_torch.comparison.scoring import (
    between_architectures,
    compare,
    curve_rows,
    error_rows,
    score,
    summary,
)
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.saved import FRAMEWORKS, identify, log_path, run_path
from mnist_numpy_vs_torch.training.log import read_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("model_dirs", type=Path, nargs="+", help="models/<architecture>/<framework> folders")
    args = parser.parse_args()
    stage = params.for_stage("evaluate")
    splits = {name: dataset.load_inputs(args.prepared_dir, name) for name in ("val", "test")}
    directories: dict[str, dict[str, Path]] = {}
    for directory in args.model_dirs:
        architecture, framework = identify(directory)
        directories.setdefault(architecture, {})[framework] = directory

    scores, classes, curves, comparison, runs, seeds = {}, {}, {}, {}, {}, {}
    predictions, first_confusions = {}, {}
    for architecture, by_framework in directories.items():
        arch_predictions, seeds[architecture] = {}, range(getattr(stage, architecture).seeds)
        for framework in FRAMEWORKS:
            result = score(by_framework[framework], splits, seeds[architecture], stage.evaluate.batch_size)
            scores.setdefault(architecture, {})[framework] = result.scores
            classes.setdefault(architecture, {})[framework] = result.per_class
            arch_predictions |= result.predictions
            first_confusions.setdefault(architecture, {})[framework] = result.confusions[0]
            logs = [read_log(log_path(by_framework[framework], s)) for s in seeds[architecture]]
            curves.setdefault(architecture, {})[framework] = {
                column: np.mean([[getattr(r, column) for r in log] for log in logs], axis=0)
                for column in ("train_loss", "val_loss", "val_accuracy")
            }
            runs.setdefault(architecture, {})[framework] = json.loads(run_path(by_framework[framework]).read_text())
        comparison[architecture] = compare(
            scores[architecture], arch_predictions, splits["test"].y, seeds[architecture], stage.evaluate
        )
        predictions |= {f"{architecture}_{name}": predicted for name, predicted in arch_predictions.items()}
    architectures = list(directories)
    for first, second in itertools.combinations(architectures, 2):
        both = range(min(len(seeds[first]), len(seeds[second])))  # seed i is the same draw in both architectures
        between = between_architectures(scores, first, second, both, stage.evaluate.confidence)
        comparison.setdefault("between", {})[f"{second}_vs_{first}"] = between

    write_json(args.metrics_dir / "scores.json", scores)
    write_json(args.metrics_dir / "comparison.json", comparison)
    write_json(args.metrics_dir / "summary.json", summary(scores, comparison))
    write_json(args.metrics_dir / "runs.json", runs)
    write_json(args.metrics_dir / "per_class.json", classes)
    losses = {"train_loss": "training", "val_loss": "validation"}
    write_text(args.metrics_dir / "loss.tsv", curve_rows(curves, losses, "loss"))
    write_text(args.metrics_dir / "accuracy.tsv", curve_rows(curves, {"val_accuracy": "validation"}, "accuracy"))
    write_text(args.metrics_dir / "test_errors.csv", error_rows(first_confusions))
    with atomic_write(args.predictions) as handle:
        np.savez(handle, test_labels=splits["test"].y.astype(np.uint8), **predictions)


if __name__ == "__main__":
    cli.run(main)
