"""The recognition oracle: MNIST test digits rendered as pictures in many ways, each read by `mnist-predict`'s own
preparation and classifier, and compared with what the same model answers on the original 28x28 array.

For an MNIST test digit the right answer is known without a person: the model's own answer on the array it was made
for. A picture of that digit, however it was made, should get the same answer. Each family below renders digits one
way, its settings (a rendering.Look) drawn per digit from a seeded generator; `combined` draws several families'
settings at once. rendering.py draws the pictures.

    python -m mnist_numpy_vs_torch.recognition.oracle --digits 2000     # a table by family, after `dvc repro`

The benchmark runs it on 2,000 digits (`python -m benchmarks.run --only oracle`); the tests on a seeded sample.
"""

from __future__ import annotations

import argparse
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES, DEFAULT
from mnist_numpy_vs_torch.recognition.classifier import Classifier
from mnist_numpy_vs_torch.recognition.picture import decode_digit
from mnist_numpy_vs_torch.recognition.rendering import BLACK, COLOURED, INKS, Look, render

log = logging.getLogger(__name__)

FILTERS = (Image.Resampling.NEAREST, Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)
# The targets (docs/recognition.md): of the pictures of a digit, the share read as the model reads the original array
TARGET_ALL = 0.99  # over all families
TARGET_FAMILY = 0.97  # in every family, and none refused


def _uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _choice(rng: np.random.Generator, options: tuple) -> object:
    return options[int(rng.integers(len(options)))]


def _paper(rng: np.random.Generator) -> dict:
    tone = _uniform(rng, 0.35, 1.0)
    tint = rng.uniform(-0.04, 0.04, 3)
    return {"paper": tuple(np.clip(tone + tint, 0, 1)), "ink": tuple(np.array(BLACK) + tone * _uniform(rng, 0, 0.25))}


# Each family: the settings it draws for one digit. Drawn from the generator it is given, in a fixed order.
FAMILIES: dict[str, Callable[[np.random.Generator], dict]] = {
    "mnist png": lambda rng: {"scale": 1.0, "light_on_dark": bool(rng.integers(2))},
    "enlarged": lambda rng: {
        "scale": _uniform(rng, 2, 20),
        "resample": _choice(rng, FILTERS),
        "light_on_dark": bool(rng.integers(2)),
    },
    "margins": lambda rng: {"margins": tuple(rng.uniform(0, 3, 4) * (rng.random(4) < 0.75))},
    "pen": lambda rng: {"stroke": "pen", "stroke_width": _uniform(rng, 0.015, 0.06)},
    "marker": lambda rng: {"stroke": "marker", "stroke_width": _uniform(rng, 0.16, 0.26)},
    "canvas": lambda rng: {"stroke": "bold", "canvas_fill": _uniform(rng, 0.6, 0.95)},
    "blur": lambda rng: {"blur": _uniform(rng, 0.01, 0.07)},
    "low resolution": lambda rng: {"across": _uniform(rng, 8, 16)},
    "jpeg": lambda rng: {"jpeg": int(rng.integers(8, 60))},
    "noise": lambda rng: {"noise": _uniform(rng, 0.03, 0.12)},
    "paper tones": _paper,
    "uneven light": lambda rng: {"gradient": _uniform(rng, 0.1, 0.4), "vignette": _uniform(rng, 0.1, 0.4)},
    "coloured ink": lambda rng: {"ink": INKS[_choice(rng, COLOURED)], "paper": tuple(rng.uniform(0.85, 1.0, 3))},
    "rotation": lambda rng: {"angle": _uniform(rng, -12, 12)},
}
ALL_FAMILIES = [*FAMILIES, "combined"]
COMBINABLE = tuple(name for name in FAMILIES if name != "mnist png")  # the 28x28 PNG is not enlarged


def draw_look(family: str, rng: np.random.Generator) -> Look:
    """The settings of one picture of `family`. `combined`: two to four other families at once, at most one of
    them changing the strokes."""
    if family != "combined":
        return Look(**FAMILIES[family](rng))
    chosen = rng.choice(len(COMBINABLE), int(rng.integers(2, 5)), replace=False)
    settings: dict = {}
    for name in (COMBINABLE[i] for i in sorted(chosen)):
        drawn = FAMILIES[name](rng)
        if "stroke" in drawn and "stroke" in settings:
            continue
        settings |= drawn
    return Look(**settings)


@dataclass(frozen=True)
class Reading:
    family: str
    index: int  # the test digit's index
    look: Look
    own: dict[str, int]  # "architecture framework" -> the model's answer on the original array
    read: dict[str, int] | None  # the same on the picture; None: refused
    error: str = ""


def read_pictures(
    classifier: Classifier, test: dataset.Split, families: list[str], per_family: int, seed: int
) -> list[Reading]:
    """`per_family` test digits per family, chosen and rendered from `seed`, each read as `mnist-predict` reads a
    picture file (decode_digit, then the classifier), beside the model's answer on the original array."""
    readings = []
    for family in families:
        rng = np.random.default_rng([seed, ALL_FAMILIES.index(family)])  # the same pictures, whichever families
        indices = rng.choice(len(test), per_family, replace=False)
        own = _answers(classifier, test.images[indices])
        for position, index in enumerate(indices):
            look = draw_look(family, rng)
            data = render(test.images[index], look, rng)
            try:
                answer = _answers(classifier, decode_digit(data, f"{family} {index}")[None])[0]
                readings.append(Reading(family, int(index), look, own[position], answer))
            except PipelineError as error:
                readings.append(Reading(family, int(index), look, own[position], None, str(error)))
    return readings


def _answers(classifier: Classifier, images: np.ndarray) -> list[dict[str, int]]:
    x = classifier.normalise(images)
    by_model = {
        f"{architecture} {framework}": predict(x).argmax(axis=1)
        for architecture, by_framework in classifier.predictors.items()
        for framework, predict in by_framework.items()
    }
    return [{model: int(answers[i]) for model, answers in by_model.items()} for i in range(len(images))]


def agreement(readings: list[Reading]) -> dict[str, dict]:
    """By family and over all: how many pictures, how many refused, and each model's share of pictures answered as
    the model answers the original (a refused picture counts as a disagreement)."""
    table = {}
    for family in [*dict.fromkeys(r.family for r in readings), "all"]:
        chosen = [r for r in readings if family in ("all", r.family)]
        models = list(chosen[0].own)
        table[family] = {
            "pictures": len(chosen),
            "refused": sum(r.read is None for r in chosen),
            "agreement": {
                m: float(np.mean([r.read is not None and r.read[m] == r.own[m] for r in chosen])) for m in models
            },
        }
    return table


def disagreements(readings: list[Reading], model: str) -> list[Reading]:
    return [r for r in readings if r.read is None or r.read[model] != r.own[model]]


def as_text(table: dict[str, dict]) -> str:
    models = list(table["all"]["agreement"])
    rows = [("family", "pictures", "refused", *models)]
    for family, entry in table.items():
        shares = (f"{entry['agreement'][m]:.3f}" for m in models)
        rows.append((family, str(entry["pictures"]), str(entry["refused"]), *shares))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def draw_examples(classifier: Classifier, test: dataset.Split, path: Path, seed: int) -> None:
    """A PNG of one picture per family (top) and the 28x28 image the models saw (below, dark on white as the page
    shows it), with the model's answers on the original and on the picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(ALL_FAMILIES), figsize=(1.1 * len(ALL_FAMILIES), 2.9))
    model = next(iter(_answers(classifier, test.images[:1])[0]))  # the first architecture's NumPy model
    for column, family in enumerate(ALL_FAMILIES):
        rng = np.random.default_rng([seed, ALL_FAMILIES.index(family)])
        index = int(rng.integers(len(test)))
        data = render(test.images[index], draw_look(family, rng), rng)
        seen = decode_digit(data, family)
        own, read = (_answers(classifier, images)[0][model] for images in (test.images[[index]], seen[None]))
        axes[0, column].imshow(Image.open(io.BytesIO(data)).convert("RGB"))
        axes[1, column].imshow(255 - seen, cmap="gray", vmin=0, vmax=255)
        axes[0, column].set_title(family.replace(" ", "\n", 1), fontsize=7)
        axes[1, column].set_title(f"{own} -> {read}", fontsize=8, color="black" if own == read else "red")
    for axis in axes.ravel():
        axis.set_axis_off()
    figure.suptitle(f"One picture per family, and the 28x28 the models saw ({model}: original -> picture)", fontsize=8)
    figure.tight_layout()
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_numpy_vs_torch.recognition.oracle", description=__doc__)
    parser.add_argument("--digits", type=int, default=2000, help="pictures in all, spread over the families")
    parser.add_argument("--seed", type=int, default=0, help="which digits and settings are drawn")
    parser.add_argument("--arch", choices=[*ARCHITECTURES, "all"], default=DEFAULT)
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--prepared-dir", type=Path, default=Path("data/prepared"))
    parser.add_argument(
        "--figure", type=Path, metavar="PNG", help="also draw one picture per family, and what was seen"
    )
    args = parser.parse_args(argv)
    architectures = tuple(ARCHITECTURES) if args.arch == "all" else (args.arch,)
    classifier = Classifier.load(args.models_dir, args.prepared_dir, None, architectures=architectures)
    test = dataset.load_split(args.prepared_dir, "test")
    per_family = -(-args.digits // len(ALL_FAMILIES))
    readings = read_pictures(classifier, test, ALL_FAMILIES, per_family, args.seed)
    print(as_text(agreement(readings)))
    if args.figure:
        draw_examples(classifier, test, args.figure, args.seed)
    return 0


def entry() -> None:
    cli.run(main)


if __name__ == "__main__":
    entry()
