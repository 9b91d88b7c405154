"""evaluate stage: score every trained model on the val and test splits; write metrics and plot data.

Outputs, in METRICS_DIR (committed to git) and at PREDICTIONS (cached by DVC):
  scores.json     accuracy and loss per framework and split: mean/std over seeds, and each seed (reproducible)
  per_class.json  precision / recall / F1 per class on test, mean over seeds
  timings.json    training speed from the logs (varies run to run, so kept apart from the scores)
  curves.tsv      per-epoch curves, mean over seeds, one column per framework and quantity
  confusion_<framework>.csv   (actual, predicted) on test for the first seed, for DVC's confusion template
  PREDICTIONS     test-set predictions of every model, for the report
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from stages import cli, dataset, training
from stages.atomic import atomic_write, write_text
from stages.metrics import confusion_matrix, mean_std, per_class
from stages.mlp_numpy import cross_entropy
from stages.params import load_params
from stages.saved_models import FRAMEWORKS, Predict, load_predictor, log_path


def logits_in_batches(predict: Predict, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.concatenate([predict(x[start : start + batch_size]) for start in range(0, len(x), batch_size)])


def score(
    framework: str, models_dir: Path, splits: dict, inputs: dict, seeds: list[int], hidden: list[int], batch_size: int
) -> tuple[dict, dict, list[np.ndarray], dict[str, np.ndarray]]:
    """Scores per split (mean/std and per seed), per-class scores, test confusion matrices and predictions."""
    values = {name: {"accuracy": [], "loss": []} for name in splits}
    confusions, predictions = [], {}
    for seed in seeds:
        predict = load_predictor(framework, models_dir, seed, hidden)
        for name, split in splits.items():
            labels = split.labels.astype(np.int64)
            logits = logits_in_batches(predict, inputs[name], batch_size)
            predicted = logits.argmax(axis=1)
            values[name]["accuracy"].append(float((predicted == labels).mean()))
            values[name]["loss"].append(float(cross_entropy(logits.astype(np.float64), labels).mean()))
            if name == "test":
                confusions.append(confusion_matrix(labels, predicted))
                predictions[f"{framework}_seed-{seed}"] = predicted.astype(np.uint8)
    seed_names = [f"seed-{s}" for s in seeds]
    scores = {
        name: {q: mean_std(v) | {"seeds": dict(zip(seed_names, v))} for q, v in quantities.items()}
        for name, quantities in values.items()
    }
    per_seed_classes = [per_class(c) for c in confusions]
    classes = {
        "test": {
            q: {str(k): float(np.mean([p[q][k] for p in per_seed_classes])) for k in range(10)}
            for q in ("precision", "recall", "f1")
        }
    }
    return scores, classes, confusions, predictions


def confusion_rows(confusion: np.ndarray) -> str:
    """One CSV row per test sample, grouped: what DVC's confusion template counts."""
    rows = "".join(f"{a},{p}\n" * int(confusion[a, p]) for a in range(10) for p in range(10))
    return "actual,predicted\n" + rows


def curves_tsv(curves: dict[str, np.ndarray]) -> str:
    columns = ["epoch", *curves]
    epochs = len(next(iter(curves.values())))
    lines = ["\t".join(columns)]
    lines += ["\t".join([str(i + 1), *(f"{curves[c][i]:.6g}" for c in columns[1:])]) for i in range(epochs)]
    return "\n".join(lines) + "\n"


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prepared_dir", type=Path)
    parser.add_argument("models_dir", type=Path)
    parser.add_argument("metrics_dir", type=Path)
    parser.add_argument("predictions", type=Path)
    args = parser.parse_args()
    params = load_params()
    seeds, hidden, batch_size = params["train"]["seeds"], params["model"]["hidden"], params["evaluate"]["batch_size"]
    facts = dataset.load_facts(args.prepared_dir)
    splits = {name: dataset.load_split(args.prepared_dir, name) for name in ("val", "test")}
    mean, std = facts["train_pixel_mean"], facts["train_pixel_std"]
    inputs = {name: dataset.normalise(split.images, mean, std) for name, split in splits.items()}

    scores, classes, timings, curves, predictions = {}, {}, {}, {}, {}
    for framework in FRAMEWORKS:
        scores[framework], classes[framework], confusions, framework_predictions = score(
            framework, args.models_dir, splits, inputs, seeds, hidden, batch_size
        )
        predictions |= framework_predictions
        write_text(args.metrics_dir / f"confusion_{framework}.csv", confusion_rows(confusions[0]))
        logs = [training.read_log(log_path(args.models_dir, framework, s)) for s in seeds]
        timings[framework] = {
            column: mean_std([np.median([getattr(r, column) for r in log]) for log in logs])
            for column in ("epoch_seconds", "samples_per_second")
        }
        for column in ("train_loss", "val_loss", "val_accuracy"):
            curves[f"{framework}_{column}"] = np.mean([[getattr(r, column) for r in log] for log in logs], axis=0)

    write_text(args.metrics_dir / "scores.json", json_text(scores))
    write_text(args.metrics_dir / "per_class.json", json_text(classes))
    write_text(args.metrics_dir / "timings.json", json_text(timings))
    write_text(args.metrics_dir / "curves.tsv", curves_tsv(curves))
    with atomic_write(args.predictions) as handle:
        np.savez(handle, test_labels=splits["test"].labels, **predictions)


if __name__ == "__main__":
    cli.run(main)
