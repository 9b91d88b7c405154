"""The trained models of one seed, ready for pictures: what `mnist-predict` and its web page both use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.loading import Predict, load_predictor
from mnist_numpy_vs_torch.models.numpy_common import softmax
from mnist_numpy_vs_torch.models.saved import FRAMEWORKS, model_dir, trained_seeds

ARCHITECTURE = "mlp"  # the architecture that answers


def default_seed(models_dir: Path, architecture: str = ARCHITECTURE) -> int:
    """The first seed trained in both frameworks."""
    seeds = set.intersection(*(set(trained_seeds(model_dir(models_dir, architecture, f), f)) for f in FRAMEWORKS))
    if not seeds:
        raise PipelineError(f"{models_dir}: no trained models; run `dvc repro` (or `dvc pull`) first")
    return min(seeds)


@dataclass(frozen=True)
class Classifier:
    seed: int
    predictors: dict[str, Predict]
    normalise: dataset.Normalise
    top: int = 3

    @classmethod
    def load(
        cls, models_dir: Path, prepared_dir: Path, seed: int | None, frameworks: tuple[str, ...], top: int
    ) -> Classifier:
        seed = seed if seed is not None else default_seed(models_dir)
        predictors = {
            f: load_predictor(ARCHITECTURE, f, model_dir(models_dir, ARCHITECTURE, f), seed) for f in frameworks
        }
        return cls(seed, predictors, dataset.load_normaliser(prepared_dir), top)

    def classify(self, image: np.ndarray) -> dict:
        """Each framework's most likely digit and its top-k probabilities for a 28x28 uint8 MNIST-style image."""
        x = self.normalise(image[None])
        result = {}
        for framework, predict in self.predictors.items():
            probabilities = softmax(predict(x).astype(np.float64))[0]
            best = np.argsort(-probabilities, kind="stable")[: self.top]
            result[framework] = {
                "digit": int(best[0]),
                "top": [{"digit": int(k), "probability": round(float(probabilities[k]), 6)} for k in best],
            }
        return result

    def record(self, image: np.ndarray, name: str) -> dict:
        """The JSON record of one picture, as `mnist-predict --json` prints it."""
        return {"image": name, "seed": self.seed, "predictions": self.classify(image)}
