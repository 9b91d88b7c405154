"""Full trainings, in-process: a whole default run of one seed in both frameworks, and the committed results."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_numpy_vs_torch.comparison import reproduction
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.machine import threads_for
from mnist_numpy_vs_torch.models import mlp, numpy_nn, torch_nn
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.training import loop, numpy_steps, torch_steps
from tests.project import PARAMS, ROOT


@pytest.mark.slow
def test_full_default_training_gives_the_same_test_accuracy(prepared_dir: Path) -> None:
    """One seed, default params (shifted images included), both frameworks: both at least 98.5%, and test accuracies
    within the reproduction gate's rule for one seed a side, 3 standard errors of a difference (3 s sqrt(2), s the
    larger per-seed standard deviation in the committed metrics). Float32 rounding makes the two trajectories part
    within the first epoch, so after six they are two draws, not the same run."""
    train = dataset.load_split(prepared_dir, "train")
    val, test = dataset.load_inputs(prepared_dir, "val"), dataset.load_inputs(prepared_dir, "test")
    inputs = loop.EpochInputs(train.images, dataset.load_normaliser(prepared_dir), max_shift=PARAMS.train.shift)
    labels = train.labels.astype(np.int64)
    torch_steps.configure(threads_for(PARAMS.train_torch.threads), seed=0)
    numpy_model, _ = numpy_steps.train_seed(mlp.ARCHITECTURE, PARAMS.mlp, inputs, labels, val, seed=0)
    cpu = torch.device("cpu")
    torch_model, _ = torch_steps.train_seed(mlp.ARCHITECTURE, PARAMS.mlp, inputs, labels, val, 0, cpu)
    numpy_accuracy = numpy_nn.evaluate(numpy_model, test.x, test.y)[1]
    torch_accuracy = torch_nn.evaluate(torch_model, torch.from_numpy(test.x), torch.from_numpy(test.y))[1]
    committed = json.loads((ROOT / "metrics" / "scores.json").read_text())["mlp"]
    spread = max(committed[framework]["test"]["accuracy"]["std"] for framework in ("numpy", "torch"))
    assert abs(numpy_accuracy - torch_accuracy) <= reproduction.STANDARD_ERRORS * spread * math.sqrt(2)
    assert min(numpy_accuracy, torch_accuracy) >= 0.985


def test_committed_metrics_meet_the_accuracy_target() -> None:
    scores = json.loads((ROOT / "metrics" / "scores.json").read_text())
    assert set(scores) == set(ARCHITECTURES)
    for architecture, by_framework in scores.items():
        for framework in ("numpy", "torch"):
            assert by_framework[framework]["test"]["accuracy"]["mean"] >= 0.985, (architecture, framework)
            per_seed = by_framework[framework]["test"]["accuracy"]["seeds"]
            assert sorted(per_seed) == sorted(f"seed-{s}" for s in range(getattr(PARAMS, architecture).seeds))
