"""mnist-predict: classify your own pictures of handwritten digits with the trained NumPy and PyTorch models.

    mnist-predict my-seven.jpg photo-of-a-three.png
    mnist-predict --framework torch --top 5 --json digit.png
    mnist-predict --show-preprocessed seen.png digit.png   # save the 28x28 image the models actually saw
    mnist-predict --serve                                  # a page at http://127.0.0.1:8000 to draw digits on

Run it from the repository after `dvc repro` (or `dvc pull`): it reads models/ and data/prepared/facts.json.
`python -m mnist_numpy_vs_torch.predict` does the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_numpy_vs_torch import dataset
from mnist_numpy_vs_torch.digit_image import load_digit
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.mlp_numpy import softmax
from mnist_numpy_vs_torch.predictors import Predict, load_predictor
from mnist_numpy_vs_torch.saved_models import FRAMEWORKS, trained_seeds


def default_seed(models_dir: Path) -> int:
    seeds = trained_seeds(models_dir / "numpy", "numpy")
    if not seeds:
        raise PipelineError(f"{models_dir}: no trained models; run `dvc repro` (or `dvc pull`) first")
    return seeds[0]


def preprocessed_path(base: Path, index: int, count: int) -> Path:
    return base if count == 1 else base.with_name(f"{base.stem}-{index}{base.suffix}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mnist-predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("images", nargs="*", type=Path, help="picture files (PNG, JPEG, BMP, GIF, ...)")
    parser.add_argument("--framework", choices=[*FRAMEWORKS, "both"], default="both")
    parser.add_argument("--seed", type=int, help="which seed's models (default: the first trained)")
    parser.add_argument("--top", type=int, default=3, metavar="K", help="how many probabilities to show (default 3)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--show-preprocessed", type=Path, metavar="PATH", help="save the 28x28 input as PNG")
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--prepared-dir", type=Path, default=Path("data/prepared"))
    parser.add_argument("--serve", action="store_true", help="serve a page to draw or upload digits on")
    parser.add_argument("--host", default="127.0.0.1", help="with --serve: the address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="with --serve: the port (8000)")
    args = parser.parse_args(argv)
    if not 1 <= args.top <= 10:
        parser.error(f"--top must be in 1..10, got {args.top}")
    if args.serve == bool(args.images):
        parser.error("give picture files, or --serve, but not both" if args.serve else "give at least one picture file")
    return args


@dataclass(frozen=True)
class Classifier:
    """The trained models of one seed, ready for pictures: what `mnist-predict` and its web page both use."""

    seed: int
    predictors: dict[str, Predict]
    normalise: dataset.Normalise
    top: int = 3

    @classmethod
    def load(cls, models_dir: Path, prepared_dir: Path, seed: int | None, frameworks: tuple[str, ...], top: int):
        seed = seed if seed is not None else default_seed(models_dir)
        predictors = {f: load_predictor(f, models_dir / f, seed) for f in frameworks}
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    frameworks = FRAMEWORKS if args.framework == "both" else (args.framework,)
    try:
        classifier = Classifier.load(args.models_dir, args.prepared_dir, args.seed, frameworks, args.top)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.serve:
        from mnist_numpy_vs_torch import serve  # the web server's libraries load only when serving

        serve.run(classifier, host=args.host, port=args.port)
        return 0

    results, failures = [], 0
    for index, path in enumerate(args.images):
        try:
            image = load_digit(path)
        except PipelineError as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
            results.append({"image": str(path), "error": str(error)})
            continue
        entry = classifier.record(image, str(path))
        if args.show_preprocessed:
            saved = preprocessed_path(args.show_preprocessed, index, len(args.images))
            Image.fromarray(255 - image).save(saved)  # dark on white, as a person would draw it
            entry["preprocessed"] = str(saved)
        results.append(entry)
        if not args.json:
            print(path)
            for framework, prediction in entry["predictions"].items():
                shown = ", ".join(f"{t['digit']}: {t['probability']:.3f}" for t in prediction["top"])
                print(f"  {framework:<6} seed {classifier.seed}: {prediction['digit']}   ({shown})")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failures else 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
