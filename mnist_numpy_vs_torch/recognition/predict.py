"""mnist-predict: classify your own pictures of handwritten digits with the trained NumPy and PyTorch models.

    mnist-predict my-seven.jpg photo-of-a-three.png        # the CNN answers, in both frameworks
    mnist-predict --arch all --framework torch --top 5 --json digit.png   # the CNN and the MLP, PyTorch only
    mnist-predict --show-preprocessed seen.png digit.png   # save the 28x28 image the models actually saw
    mnist-predict --serve                                  # a page at http://127.0.0.1:8000 to draw digits on

Run it from the repository after `dvc repro` (or `dvc pull`): it reads models/ and data/prepared/facts.json.
`python -m mnist_numpy_vs_torch.recognition.predict` does the same.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES, DEFAULT
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS
from mnist_numpy_vs_torch.recognition.classifier import Classifier
from mnist_numpy_vs_torch.recognition.picture import load_digit


def preprocessed_path(base: Path, index: int, count: int) -> Path:
    return base if count == 1 else base.with_name(f"{base.stem}-{index}{base.suffix}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mnist-predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("images", nargs="*", type=Path, help="picture files (PNG, JPEG, BMP, GIF, ...)")
    parser.add_argument(
        "--arch",
        choices=[*ARCHITECTURES, "all"],
        help=f"which architecture answers (default: {DEFAULT}; with --serve, all, {DEFAULT} first)",
    )
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


def main(argv: list[str] | None = None) -> int:
    """Classify every picture; a picture that fails is one line on stderr, and the others are still classified.
    Returns the exit status: 1 if any picture failed."""
    args = parse_args(argv)
    frameworks = FRAMEWORKS if args.framework == "both" else (args.framework,)
    arch = args.arch or ("all" if args.serve else DEFAULT)
    architectures = tuple(ARCHITECTURES) if arch == "all" else (arch,)
    classifier = Classifier.load(args.models_dir, args.prepared_dir, args.seed, frameworks, args.top, architectures)
    if args.serve:
        from mnist_numpy_vs_torch.recognition import server  # the web server's libraries load only when serving

        server.run(classifier, host=args.host, port=args.port)
        return 0

    results, failures = [], 0
    for index, path in enumerate(args.images):
        try:
            image = load_digit(path)
        except PipelineError as error:
            failures += 1
            cli.report(error)
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
            for architecture, by_framework in entry["predictions"].items():
                for framework, prediction in by_framework.items():
                    shown = ", ".join(f"{t['digit']}: {t['probability']:.3f}" for t in prediction["top"])
                    name = f"{architecture} {framework}"
                    print(f"  {name:<10} seed {classifier.seed}: {prediction['digit']}   ({shown})")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failures else 0


def entry() -> None:
    cli.run(main)


if __name__ == "__main__":
    entry()
