"""The trained models of one seed, ready for pictures: what `mnist-predict` and its web page both use.

The CNN answers by default, in both frameworks; the MLP can answer beside it, or alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.architectures import DEFAULT, answering_order
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS, model_dir
from mnist_numpy_vs_torch.models.predictor import Predict, load_predictor
from mnist_numpy_vs_torch.nn.loss import softmax
from mnist_numpy_vs_torch.recognition.project import default_seed


def one_core() -> None:
    """For a process that classifies beside others, one per core (the server's workers, the tests' readers): the
    BLAS and torch on one thread each, rather than each spreading small products over every core."""
    threadpool_limits(1)
    torch.set_num_threads(1)


@dataclass(frozen=True)
class Classifier:
    seed: int
    predictors: dict[str, dict[str, Predict]]  # architecture -> framework -> model
    normalise: dataset.Normalise
    top: int = 3

    @classmethod
    def load(
        cls,
        models_dir: Path,
        prepared_dir: Path,
        seed: int | None,
        frameworks: tuple[str, ...] = FRAMEWORKS,
        top: int = 3,
        architectures: tuple[str, ...] = (DEFAULT,),
    ) -> Classifier:
        architectures = answering_order(architectures)
        seed = seed if seed is not None else default_seed(models_dir, architectures, frameworks)
        predictors = {
            a: {f: load_predictor(a, f, model_dir(models_dir, a, f), seed) for f in frameworks} for a in architectures
        }
        return cls(seed, predictors, dataset.load_normaliser(prepared_dir), top)

    def classify(self, image: np.ndarray) -> dict:
        """Each architecture's and framework's most likely digit and top-k probabilities for a 28x28 uint8
        MNIST-style image: {architecture: {framework: {"digit": d, "top": [...]}}}."""
        x = self.normalise(image[None])
        return {
            architecture: {framework: self._answer(predict(x)) for framework, predict in by_framework.items()}
            for architecture, by_framework in self.predictors.items()
        }

    def _answer(self, logits: np.ndarray) -> dict:
        probabilities = softmax(logits.astype(np.float64))[0]
        best = np.argsort(-probabilities, kind="stable")[: self.top]
        return {
            "digit": int(best[0]),
            "top": [{"digit": int(k), "probability": round(float(probabilities[k]), 6)} for k in best],
        }

    def record(self, image: np.ndarray, name: str) -> dict:
        """The JSON record of one picture, as `mnist-predict --json` prints it: which seed answered, and each
        architecture's answers by framework."""
        return {"image": name, "seed": self.seed, "predictions": self.classify(image)}
