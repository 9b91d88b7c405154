"""What evaluate computes, with the stage's files out of the way: every model scored and paired with its twin of the
other framework, each architecture compared with each earlier one over the seeds both trained, the training curves
averaged over seeds, and the test digits two models get wrong together or alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.comparison.metrics import shared_errors
from mnist_numpy_vs_torch.comparison.scoring import evaluate
from mnist_numpy_vs_torch.data.dataset import Inputs
from mnist_numpy_vs_torch.models import numpy_nn, torch_nn
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS, ModelId, group_folders, log_path, model_path
from mnist_numpy_vs_torch.models.initial import initial_state
from mnist_numpy_vs_torch.params import EvaluateParams, Margins
from mnist_numpy_vs_torch.training.log import EpochRecord, mean_curves, write_log

SPEC = [("Linear", 784, 10)]
SAVE = {"numpy": lambda state, path: numpy_nn.save(numpy_nn.build(SPEC, state), path)}
SAVE["torch"] = lambda state, path: torch_nn.save(torch_nn.build(SPEC, state), path)
SETTINGS = EvaluateParams(batch_size=16, confidence=0.95, margins=Margins(0.001, 0.001, 0.005, 0.005))


def saved_models(root: Path, seeds: dict[str, range]) -> list[Path]:
    """Untrained linear models, each seed's initial weights the same in both frameworks, laid out as the trainers
    lay them out."""
    folders = []
    for architecture, its_seeds in seeds.items():
        for framework in FRAMEWORKS:
            folder = root / architecture / framework
            for seed in its_seeds:
                SAVE[framework](initial_state(SPEC, "kaiming_uniform", seed), model_path(folder, framework, seed))
            folders.append(folder)
    return folders


def test_each_model_is_paired_with_its_twin_and_each_architecture_with_the_earlier_over_the_seeds_both_trained(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    split = Inputs(rng.standard_normal((40, 784)).astype(np.float32), rng.integers(0, 10, 40))
    seeds = {"wide": range(3), "narrow": range(2)}
    folders = group_folders(saved_models(tmp_path, seeds))
    evaluation = evaluate(folders, {"val": split, "test": split}, seeds, SETTINGS)

    assert list(evaluation.predictions) == [ModelId(a, f, s) for a in seeds for f in FRAMEWORKS for s in seeds[a]]
    assert set(evaluation.comparison) == {"wide", "narrow", "between"}
    assert evaluation.comparison["wide"]["seeds"] == 3
    assert list(evaluation.comparison["wide"]["mcnemar"]) == ["seed-0", "seed-1", "seed-2"]
    for seed in seeds["wide"]:  # the same weights in both frameworks: the same digits wrong
        twins = [evaluation.predictions[ModelId("wide", f, seed)] for f in FRAMEWORKS]
        assert np.array_equal(*twins)
        assert evaluation.comparison["wide"]["mcnemar"][f"seed-{seed}"]["numpy_only_wrong"] == 0
    assert list(evaluation.comparison["between"]) == ["narrow_vs_wide"]
    assert evaluation.comparison["between"]["narrow_vs_wide"]["seeds"] == 2
    assert list(evaluation.scores["narrow"]["torch"]["test"]["accuracy"]["seeds"]) == ["seed-0", "seed-1"]
    assert evaluation.first_confusions["wide"]["numpy"].sum() == len(split)
    assert set(evaluation.per_class["narrow"]["numpy"]["test"]) == {"precision", "recall", "f1"}


def test_one_architecture_alone_has_nothing_between(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    split = Inputs(rng.standard_normal((20, 784)).astype(np.float32), rng.integers(0, 10, 20))
    seeds = {"only": range(2)}
    splits = {"val": split, "test": split}
    evaluation = evaluate(group_folders(saved_models(tmp_path, seeds)), splits, seeds, SETTINGS)
    assert list(evaluation.comparison) == ["only"]


def test_the_curves_are_each_epochs_mean_over_the_seeds_logs(tmp_path: Path) -> None:
    losses = {0: [2.0, 1.0], 1: [4.0, 2.0]}  # seed -> training loss per epoch
    for framework in FRAMEWORKS:
        for seed, per_epoch in losses.items():
            records = [EpochRecord(i + 1, loss, loss / 2, 0.5 + i / 10, 0.1) for i, loss in enumerate(per_epoch)]
            write_log(log_path(tmp_path / "mlp" / framework, seed), records)
    curves = mean_curves(group_folders(tmp_path / "mlp" / f for f in FRAMEWORKS), {"mlp": range(2)})
    assert list(curves["mlp"]) == list(FRAMEWORKS)
    assert curves["mlp"]["torch"]["train_loss"].tolist() == [3.0, 1.5]
    assert curves["mlp"]["torch"]["val_loss"].tolist() == [1.5, 0.75]
    assert curves["mlp"]["numpy"]["val_accuracy"].tolist() == [0.5, 0.6]


def test_two_models_errors_split_into_both_wrong_and_each_alone() -> None:
    labels = np.array([0, 1, 2, 3, 4, 5])
    numpy_predicted = np.array([0, 9, 9, 3, 9, 5])  # wrong at 1, 2, 4
    torch_predicted = np.array([9, 9, 2, 3, 9, 5])  # wrong at 0, 1, 4
    errors = shared_errors(labels, numpy_predicted, torch_predicted)
    assert errors.both.tolist() == [1, 4] and (errors.only_numpy, errors.only_torch) == (1, 1)
