"""mnist-predict: classify your own pictures of handwritten digits with the trained NumPy and PyTorch models.

    mnist-predict my-seven.jpg photo-of-a-three.png        # the CNN answers, in both frameworks
    mnist-predict --arch all --framework torch --top 5 --json digit.png   # the CNN and the MLP, PyTorch only
    mnist-predict --show-preprocessed seen.png digit.png   # save the 28x28 image the models actually saw
    mnist-predict --serve                                  # a page at http://127.0.0.1:8000 to draw digits on

It reads the models/ and data/prepared/ that `dvc repro` (or `dvc pull`) leaves in the repository: the one given
with --project, else the one it is run in (any folder inside it), else the checkout it was installed from.
`python -m mnist_numpy_vs_torch.recognition.predict` does the same.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES, DEFAULT
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS
from mnist_numpy_vs_torch.recognition.project import data_folders
from mnist_numpy_vs_torch.recognition.workers import WORKER_BYTES

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WORKERS_HELP = (
    "with --serve: how many worker processes classify pictures at once (default: one per core this process may "
    f"use, its CPU affinity, but no more than the available memory holds at {WORKER_BYTES // 2**20} MB each)"
)


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
    parser.add_argument("--project", type=Path, metavar="DIR", help="the repository whose models answer (see above)")
    parser.add_argument("--models-dir", type=Path, help="the models' folder (default: the project's models/)")
    parser.add_argument("--prepared-dir", type=Path, help="the prepared data (default: the project's data/prepared/)")
    parser.add_argument("--serve", action="store_true", help="serve a page to draw or upload digits on")
    parser.add_argument("--host", default="127.0.0.1", help="with --serve: the address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="with --serve: the port (8000)")
    parser.add_argument("--workers", type=int, metavar="N", help=WORKERS_HELP)
    args = parser.parse_args(argv)
    if not 1 <= args.top <= 10:
        parser.error(f"--top must be in 1..10, got {args.top}")
    if args.workers is not None and (args.workers < 1 or not args.serve):
        parser.error("--workers goes with --serve, and is 1 or more")
    if args.serve == bool(args.images):
        parser.error("give picture files, or --serve, but not both" if args.serve else "give at least one picture file")
    return args


def main(argv: list[str] | None = None) -> int:
    """Classify every picture, or serve the page. Returns the exit status: 1 if any picture failed."""
    args = parse_args(argv)
    arch = args.arch or ("all" if args.serve else DEFAULT)
    models_dir, prepared_dir = data_folders(args.project, args.models_dir, args.prepared_dir)
    models = {
        "models_dir": models_dir,
        "prepared_dir": prepared_dir,
        "seed": args.seed,
        "frameworks": FRAMEWORKS if args.framework == "both" else (args.framework,),
        "top": args.top,
        "architectures": tuple(ARCHITECTURES) if arch == "all" else (arch,),
    }
    if args.serve:
        serve(args, models)
        return 0
    return classify(args, models)


def classify(args: argparse.Namespace, models: dict) -> int:
    """Each picture's answers, as text or JSON; a picture that fails is one line on stderr, and the others are
    still classified."""
    from PIL import Image  # torch and the picture's preparation load only here: the server's process needs neither

    from mnist_numpy_vs_torch.recognition.classifier import Classifier
    from mnist_numpy_vs_torch.recognition.picture import load_digit

    classifier = Classifier.load(**models)
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


def serve(args: argparse.Namespace, models: dict) -> None:
    """The page and its API until interrupted: the event loop takes requests, worker processes classify."""
    import uvicorn  # the web server's libraries load only when serving

    from mnist_numpy_vs_torch.recognition import server

    settings = server.Settings.resolve(**models, count=args.workers)
    if args.host not in LOOPBACK:
        log.warning("listening on %s: anyone who can reach this machine can use the page", args.host)
    uvicorn.run(server.create_app(settings), host=args.host, port=args.port, log_level="info", access_log=False)


def entry() -> None:
    cli.run(main)


if __name__ == "__main__":
    entry()
