"""mnist-predict: classify your own pictures of handwritten digits with the trained NumPy and PyTorch models.

    mnist-predict my-seven.jpg photo-of-a-three.png
    mnist-predict --framework torch --top 5 --json digit.png
    mnist-predict --show-preprocessed seen.png digit.png   # save the 28x28 image the models actually saw

Run it from the repository after `dvc repro` (or `dvc pull`): it reads models/ and data/prepared/facts.json.
`python -m mnist_numpy_vs_torch.predict` does the same.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    parser.add_argument("images", nargs="+", type=Path, help="picture files (PNG, JPEG, BMP, GIF, ...)")
    parser.add_argument("--framework", choices=[*FRAMEWORKS, "both"], default="both")
    parser.add_argument("--seed", type=int, help="which seed's models (default: the first trained)")
    parser.add_argument("--top", type=int, default=3, metavar="K", help="how many probabilities to show (default 3)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--show-preprocessed", type=Path, metavar="PATH", help="save the 28x28 input as PNG")
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--prepared-dir", type=Path, default=Path("data/prepared"))
    args = parser.parse_args(argv)
    if not 1 <= args.top <= 10:
        parser.error(f"--top must be in 1..10, got {args.top}")
    return args


def classify(image: np.ndarray, predictors: dict[str, Predict], normalise: dataset.Normalise, top: int) -> dict:
    x = normalise(image[None])
    result = {}
    for framework, predict in predictors.items():
        probabilities = softmax(predict(x).astype(np.float64))[0]
        best = np.argsort(-probabilities, kind="stable")[:top]
        result[framework] = {
            "digit": int(best[0]),
            "top": [{"digit": int(k), "probability": round(float(probabilities[k]), 6)} for k in best],
        }
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        seed = args.seed if args.seed is not None else default_seed(args.models_dir)
        frameworks = FRAMEWORKS if args.framework == "both" else (args.framework,)
        predictors = {f: load_predictor(f, args.models_dir / f, seed) for f in frameworks}
        normalise = dataset.load_normaliser(args.prepared_dir)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    results, failures = [], 0
    for index, path in enumerate(args.images):
        try:
            image = load_digit(path)
        except PipelineError as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
            results.append({"image": str(path), "error": str(error)})
            continue
        entry = {"image": str(path), "seed": seed}
        if args.show_preprocessed:
            saved = preprocessed_path(args.show_preprocessed, index, len(args.images))
            Image.fromarray(255 - image).save(saved)  # dark on white, as a person would draw it
            entry["preprocessed"] = str(saved)
        entry["predictions"] = classify(image, predictors, normalise, args.top)
        results.append(entry)
        if not args.json:
            print(path)
            for framework, prediction in entry["predictions"].items():
                shown = ", ".join(f"{t['digit']}: {t['probability']:.3f}" for t in prediction["top"])
                print(f"  {framework:<6} seed {seed}: {prediction['digit']}   ({shown})")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failures else 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
