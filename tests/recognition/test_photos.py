"""Phone photos of handwritten digits (tests/photos.py makes them from MNIST test digits, seeded, at test time),
recognised by `mnist-predict` with the models the README's first command trains, condition by condition; and bad
pictures among good ones.

The default model answers: the CNN, in both frameworks, seed 0. The floors sit one picture (of 40) below the lower of
the two frameworks' accuracies measured with the committed configuration's models (the CNN trained for 3 epochs) on
these seeds (written beside each, NumPy / PyTorch; the preparation of 2026-12-06), so a real regression fails them;
floors only rise: ruled paper and chalk keep the higher floors set with earlier preparations, and sit on them. Those
were measured on an Intel Xeon with AVX-512; seed 0's CNN is another float32 draw on each processor generation, so
where another machine's models measured lower, the floor sits one picture below that (written after it). A refused
picture counts as wrong, and none may be refused.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.recognition.picture import decode_digit, load_digit
from tests.photos import Conditions, phone_photo
from tests.project import predict

pytestmark = pytest.mark.slow

PER_CONDITION = 40
CONDITIONS = {  # name: (conditions, floor on accuracy for each framework, most pictures refused)
    "upright, good light, pen": (Conditions(), 0.975, 0),  # 1.000 / 1.000
    "stored sideways, EXIF orientation": (Conditions(rotated=True), 0.975, 0),  # 1.000 / 1.000
    "dim paper, vignette, gradient": (Conditions(dim=True), 0.975, 0),  # 1.000 / 1.000
    "ruled paper": (Conditions(ruled=True), 0.95, 0),  # 0.950 / 0.950: at the floor, kept from earlier models
    "stray specks": (Conditions(specks=True), 0.975, 0),  # 1.000 / 1.000
    "coloured ink": (Conditions(colour=True), 0.975, 0),  # 1.000 / 1.000
    "chalk on a dark board": (Conditions(inverted=True), 0.95, 0),  # 0.975 / 0.950: at the floor, kept
    "MNIST digit printed, dim light": (Conditions(pen=False, dim=True), 0.95, 0),  # 0.975 / 0.975
    # soft pictures: out of focus, scanned coarsely, gray ink, a blurred marker
    "out of focus, pen": (Conditions(blur=True), 0.925, 0),  # 0.950 / 0.950
    # 1.000 / 1.000; the 4-epoch CNN on an AMD EPYC with AVX2 (2026-12-07): 0.975 / 0.950
    "out of focus, MNIST strokes": (Conditions(pen=False, blur=True), 0.925, 0),
    "low resolution, pen": (Conditions(low_resolution=True), 0.95, 0),  # 0.975 / 0.975
    "soft gray ink": (Conditions(soft=True), 0.95, 0),  # 0.975 / 0.975
    "soft gray ink, out of focus": (Conditions(soft=True, blur=True), 0.925, 0),  # 0.950 / 0.950
    "soft gray ink, low resolution, MNIST strokes": (
        Conditions(pen=False, soft=True, low_resolution=True),
        0.975,
        0,
    ),  # 1.000 / 1.000
    "out of focus and low resolution, MNIST strokes": (
        Conditions(pen=False, blur=True, low_resolution=True),
        0.925,
        0,
    ),  # 0.950 / 0.950
    "thick marker, out of focus": (Conditions(pen=False, thick=True, blur=True), 0.95, 0),  # 0.975 / 0.975
}


# Two runs share the two cores: alone, one run keeps the second core busy with BLAS threads waiting for work.
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def write_photos(folder: Path, digits: np.ndarray, seed: int, conditions: Conditions) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, digit in enumerate(digits):
        path = folder / f"photo-{n:03d}.jpg"
        path.write_bytes(phone_photo(digit, rng, conditions))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def test_digits(prepared_dir: Path) -> dataset.Split:
    return dataset.load_split(prepared_dir, "test")


def chosen_digits(name: str, test_digits: dataset.Split) -> np.ndarray:
    """The indices of the test digits photographed under condition `name`."""
    seed = list(CONDITIONS).index(name)
    return np.random.default_rng(100 + seed).choice(len(test_digits.labels), PER_CONDITION, replace=False)


@pytest.fixture(scope="module")
def predicted(workspace: Path, test_digits: dataset.Split, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Condition name -> `mnist-predict --json` entries for its photos. Each condition's photos come from their own
    seed, so making them in two worker processes gives the same photos as one after another; two `mnist-predict`
    runs then classify half of them each, at the same time."""
    folder = tmp_path_factory.mktemp("photos")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = {
            name: pool.submit(
                write_photos,
                folder / str(seed),
                test_digits.images[chosen_digits(name, test_digits)],
                seed,
                CONDITIONS[name][0],
            )
            for seed, name in enumerate(CONDITIONS)
        }
        paths = {name: job.result() for name, job in jobs.items()}
    photos = [str(path) for name in CONDITIONS for path in paths[name]]
    halves = [photos[: len(photos) // 2], photos[len(photos) // 2 :]]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda half: predict(workspace, "--json", *half, env=ONE_THREAD), halves))
    entries = []
    for result in results:
        answered = json.loads(result.stdout)
        assert result.returncode == (1 if any("error" in entry for entry in answered) else 0), result.stderr
        entries += answered
    return {name: entries[i * PER_CONDITION : (i + 1) * PER_CONDITION] for i, name in enumerate(CONDITIONS)}


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_phone_photos_are_recognised_in_each_condition(name: str, predicted: dict, test_digits: dataset.Split) -> None:
    """The default model (the CNN) in both frameworks: accuracy over all the condition's photos, a refused one
    counting as wrong, and refusals counted apart."""
    _, floor, allowed = CONDITIONS[name]
    labels = test_digits.labels[chosen_digits(name, test_digits)]
    refused = [entry["error"] for entry in predicted[name] if "error" in entry]
    accuracies = {}
    for framework in ("numpy", "torch"):
        answers = [e["predictions"]["cnn"][framework]["digit"] if "error" not in e else -1 for e in predicted[name]]
        accuracies[framework] = float((np.array(answers) == labels).mean())
    print(f"{name}: {accuracies}, {len(refused)} refused {refused}")  # shown with -s: what the floors come from
    assert len(refused) <= allowed, refused
    for framework, accuracy in accuracies.items():
        assert accuracy >= floor, f"{name}, {framework}: {accuracy:.3f} < {floor}"


def test_exif_orientation_is_applied(test_digits: dataset.Split) -> None:
    rng = np.random.default_rng(7)
    photo = phone_photo(test_digits.images[0], rng, Conditions(rotated=True))
    with Image.open(io.BytesIO(photo)) as stored:
        assert stored.getexif()[0x0112] in (3, 6, 8)
        upright = ImageOps.exif_transpose(stored)
        buffer = io.BytesIO()
        upright.save(buffer, "PNG")  # the same pixels, upright, with no tag
    seen_rotated, seen_upright = decode_digit(photo, "rotated.jpg"), decode_digit(buffer.getvalue(), "upright.png")
    correlation = np.corrcoef(seen_rotated.ravel().astype(float), seen_upright.ravel().astype(float))[0, 1]
    assert correlation > 0.95


def test_a_twelve_megapixel_photo_is_prepared_quickly(test_digits: dataset.Split) -> None:
    """Correctness at full phone size; the 0.3 s target is timed by the benchmark, not here."""
    rng = np.random.default_rng(8)
    with Image.open(io.BytesIO(phone_photo(test_digits.images[1], rng, Conditions(dim=True)))) as small:
        big = small.resize((4000, 3000), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    start = time.perf_counter()
    digit = decode_digit(buffer.getvalue(), "twelve-megapixels.jpg")
    assert digit.shape == (28, 28) and digit.max() == 255
    assert time.perf_counter() - start < 10, "minutes, not a fraction of a second: the photo was not reduced"


def test_bad_pictures_are_one_line_each_and_the_rest_still_classified(
    workspace: Path, test_digits: dataset.Split, tmp_path: Path
) -> None:
    rng = np.random.default_rng(9)
    good = tmp_path / "good.jpg"
    good.write_bytes(phone_photo(test_digits.images[0], rng, Conditions(dim=True, ruled=True)))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:3000])
    two = np.hstack([test_digits.images[1], test_digits.images[2]])  # two digits side by side
    pair = Image.fromarray(255 - two).resize((560, 280), Image.Resampling.BICUBIC)
    pair.save(tmp_path / "two-digits.png")
    Image.new("RGB", (1200, 900), (120, 118, 110)).save(tmp_path / "gray-paper.jpg")
    names = ["truncated.jpg", "two-digits.png", "gray-paper.jpg"]
    result = predict(workspace, "--json", *(str(tmp_path / n) for n in names), str(good))
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and "Traceback" not in result.stderr
    reasons = ["cannot read the image", "2 digits side by side", "no ink found"]
    for name, reason, line in zip(names, reasons, errors):
        assert line.startswith(f"error: {tmp_path / name}: ") and reason in line, line
    entries = json.loads(result.stdout)
    assert entries[-1]["predictions"]["cnn"]["numpy"]["digit"] == test_digits.labels[0]


def test_show_preprocessed_saves_exactly_what_the_models_saw(
    workspace: Path, test_digits: dataset.Split, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(phone_photo(test_digits.images[3], np.random.default_rng(10), Conditions(specks=True)))
    result = predict(workspace, "--show-preprocessed", str(tmp_path / "seen.png"), str(photo))
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "seen.png") as seen:
        assert np.array_equal(255 - np.asarray(seen), load_digit(photo))  # saved dark on white
