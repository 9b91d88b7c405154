"""evaluate stage: score every trained model on the val and test splits; write metrics and plot data.

Outputs, in METRICS_DIR (committed to git) and at PREDICTIONS (cached by DVC):
  scores.json     accuracy and loss per framework and split: mean/std over seeds, and each seed (reproducible)
  per_class.json  precision / recall / F1 per class on test, mean over seeds
  comparison.json the paired NumPy - PyTorch verdict per metric (interval, margin) and McNemar's test per seed
  timings.json    training speed from the logs (varies run to run, so kept apart from the scores)
  curves.tsv      per-epoch curves, mean over seeds, one column per framework and quantity
  confusion_<framework>.csv   (actual, predicted) on test for the first seed, for DVC's confusion template
  runs.json       what each framework ran on (library versions, BLAS, device), from the trainers
  PREDICTIONS     test-set predictions of every model, for the report
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch import cli, dataset, params
from mnist_numpy_vs_torch.atomic import atomic_write, write_json, write_text
from mnist_numpy_vs_torch.evaluation import compare, confusion_rows, curves_tsv, score
from mnist_numpy_vs_torch.metrics import mean_std
from mnist_numpy_vs_torch.saved_models import FRAMEWORKS, log_path, run_path
from mnist_numpy_vs_torch.training_log import read_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("numpy_dir", type=Path)
    parser.add_argument("torch_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    args = parser.parse_args()
    stage = params.for_stage("evaluate")
    seeds, hidden = stage.train.seeds, stage.model.hidden
    splits = {name: dataset.load_inputs(args.prepared_dir, name) for name in ("val", "test")}
    directories = {"numpy": args.numpy_dir, "torch": args.torch_dir}

    scores, classes, timings, curves, predictions = {}, {}, {}, {}, {}
    for framework in FRAMEWORKS:
        result = score(framework, directories[framework], splits, seeds, hidden, stage.evaluate.batch_size)
        scores[framework], classes[framework] = result.scores, result.per_class
        predictions |= result.predictions
        write_text(args.metrics_dir / f"confusion_{framework}.csv", confusion_rows(result.confusions[0]))
        logs = [read_log(log_path(directories[framework], s)) for s in seeds]
        timings[framework] = {
            column: mean_std([np.median([getattr(r, column) for r in log]) for log in logs])
            for column in ("epoch_seconds", "samples_per_second")
        }
        for column in ("train_loss", "val_loss", "val_accuracy"):
            curves[f"{framework}_{column}"] = np.mean([[getattr(r, column) for r in log] for log in logs], axis=0)

    write_json(args.metrics_dir / "scores.json", scores)
    comparison = compare(scores, predictions, splits["test"].y, seeds, stage.evaluate)
    write_json(args.metrics_dir / "comparison.json", comparison)
    write_json(
        args.metrics_dir / "runs.json", {f: json.loads(run_path(directories[f]).read_text()) for f in FRAMEWORKS}
    )
    write_json(args.metrics_dir / "per_class.json", classes)
    write_json(args.metrics_dir / "timings.json", timings)
    write_text(args.metrics_dir / "curves.tsv", curves_tsv(curves))
    with atomic_write(args.predictions) as handle:
        np.savez(handle, test_labels=splits["test"].y.astype(np.uint8), **predictions)


if __name__ == "__main__":
    cli.run(main)
