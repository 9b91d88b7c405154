"""mnist-predict on pictures made the way a person makes them, and on bad input."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.errors import ImageInputError
from mnist_numpy_vs_torch.recognition.picture import decode_digit, load_digit, to_mnist
from tests.project import predict

SAMPLE = 300


def as_user_picture(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Dark ink on white paper, scaled up 5-10x, off-centre on a bigger canvas, in one of several formats."""
    scale = int(rng.integers(5, 11))
    ink = Image.fromarray(255 - digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (28 * scale + int(rng.integers(20, 200)), 28 * scale + int(rng.integers(20, 200))), 255)
    canvas.paste(
        ink, (int(rng.integers(0, canvas.width - ink.width)), int(rng.integers(0, canvas.height - ink.height)))
    )
    kind = path.suffix
    if kind == ".jpg":
        canvas.convert("RGB").save(path, quality=80)
    elif kind == ".png":
        rgba = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        rgba.putalpha(Image.eval(canvas, lambda v: 255 - v))  # transparent paper, opaque ink
        rgba.save(path)
    else:
        canvas.convert("P").save(path)
    return path


@pytest.mark.slow
def test_user_pictures_of_mnist_test_digits_are_recognised(workspace: Path, prepared_dir: Path, tmp_path: Path) -> None:
    test = dataset.load_split(prepared_dir, "test")
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(test.labels), SAMPLE, replace=False)
    suffixes = [".jpg", ".png", ".gif"]
    files = [as_user_picture(test.images[i], rng, tmp_path / f"{n}{suffixes[n % 3]}") for n, i in enumerate(chosen)]
    result = predict(workspace, "--json", *map(str, files))
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert all(list(e["predictions"]) == ["cnn"] for e in entries), "the CNN answers by default, alone"
    for framework in ("numpy", "torch"):
        predicted = np.array([e["predictions"]["cnn"][framework]["digit"] for e in entries])
        accuracy = (predicted == test.labels[chosen]).mean()
        assert accuracy >= 0.97, f"{framework}: {accuracy:.3f}"


def test_preprocessing_an_mnist_digit_gives_back_an_mnist_digit(prepared_dir: Path) -> None:
    digit = dataset.load_split(prepared_dir, "test").images[0]
    again = to_mnist(1.0 - digit.astype(np.float32) / 255)
    assert again.shape == (28, 28) and again.dtype == np.uint8
    correlation = np.corrcoef(again.ravel().astype(float), digit.ravel().astype(float))[0, 1]
    assert correlation > 0.9


@pytest.mark.slow
def test_text_output_shows_each_model_top_k(workspace: Path, prepared_dir: Path, tmp_path: Path) -> None:
    picture = as_user_picture(
        dataset.load_split(prepared_dir, "test").images[0], np.random.default_rng(1), tmp_path / "seven.jpg"
    )
    seen = str(tmp_path / "seen.png")
    result = predict(workspace, "--arch", "all", "--top", "2", "--show-preprocessed", seen, str(picture))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(picture)
    assert lines[1].startswith("  cnn numpy  seed 0: 7   (7: ") and lines[1].count(":") == 3
    assert lines[2].startswith("  cnn torch  seed 0: 7   (7: ")
    assert lines[3].startswith("  mlp numpy  seed 0: 7   (7: ")
    assert lines[4].startswith("  mlp torch  seed 0: 7   (7: ") and len(lines) == 5
    with Image.open(tmp_path / "seen.png") as seen:
        assert seen.size == (28, 28)


@pytest.mark.slow
def test_bad_pictures_are_one_line_errors_and_the_good_ones_still_classified(
    workspace: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    seven = dataset.load_split(prepared_dir, "test").images[0]
    good = as_user_picture(seven, np.random.default_rng(2), tmp_path / "seven.jpg")
    (tmp_path / "notes.txt").write_text("not a picture")
    Image.new("L", (300, 200), 255).save(tmp_path / "blank.png")
    Image.new("1", (8000, 8000), 1).save(tmp_path / "bomb.png")
    (tmp_path / "empty.png").write_bytes(b"")
    names = ["missing.png", "notes.txt", "blank.png", "bomb.png", "empty.png"]
    result = predict(workspace, "--framework", "numpy", "--json", *(str(tmp_path / n) for n in names), str(good))
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 5 and "Traceback" not in result.stderr
    for name, reason, line in zip(
        names,
        ["no such file", "not an image", "no ink found", "over the limit of 40,000,000", "not an image"],
        errors,
    ):
        assert line.startswith(f"error: {tmp_path / name}: ") and reason in line, line
    entries = json.loads(result.stdout)
    assert entries[-1]["predictions"] == {"cnn": {"numpy": entries[-1]["predictions"]["cnn"]["numpy"]}}
    assert entries[-1]["predictions"]["cnn"]["numpy"]["digit"] == 7


@pytest.mark.slow
def test_a_missing_or_corrupt_model_says_to_run_dvc(workspace: Path, tmp_path: Path) -> None:
    picture = tmp_path / "digit.png"
    Image.new("L", (50, 50), 255).save(picture)
    result = predict(workspace, "--models-dir", str(tmp_path / "nowhere"), str(picture))
    assert result.returncode == 1 and "run `dvc repro` (or `dvc pull`)" in result.stderr
    broken = tmp_path / "broken" / "mlp" / "torch"
    broken.mkdir(parents=True)
    (broken / "seed-0.pt").write_bytes(b"garbage")
    result = predict(
        workspace,
        *("--models-dir", str(tmp_path / "broken"), "--arch", "mlp", "--framework", "torch", "--seed", "0"),
        str(picture),
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {broken / 'seed-0.pt'}: not a readable torch model")
    assert "dvc repro" in result.stderr


@pytest.mark.slow
def test_run_from_another_folder_it_finds_the_checkout_its_code_is_in_or_the_one_given(
    workspace: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    """Run from a folder of photos, mnist-predict reads the models of the checkout its code is in (the workspace,
    on PYTHONPATH, as `pip install -e` leaves it); with its code alone elsewhere (as a plain `pip install` leaves
    it), those of the checkout --project names, and without --project it says where it looked."""
    photos, site = tmp_path / "photos", tmp_path / "site-packages"
    photos.mkdir()
    shutil.copytree(workspace / "mnist_numpy_vs_torch", site / "mnist_numpy_vs_torch")
    seven = dataset.load_split(prepared_dir, "test").images[0]
    picture = as_user_picture(seven, np.random.default_rng(3), photos / "7.png")

    def predict_here(code: Path, *options: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "mnist_numpy_vs_torch.recognition.predict", "--json", *options, picture.name]
        env = os.environ | {"PYTHONPATH": str(code)}
        return subprocess.run(command, cwd=photos, env=env, capture_output=True, text=True, timeout=300)

    for result in (predict_here(workspace), predict_here(site, "--project", str(workspace))):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)[0]["predictions"]["cnn"]["torch"]["digit"] == 7
    lost = predict_here(site)
    assert lost.returncode == 1 and lost.stderr.count("\n") == 1
    assert f"in {photos} or any folder above it, nor at {site}" in lost.stderr and "--project DIR" in lost.stderr


def test_load_digit_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="no such file"):
        load_digit(tmp_path)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def seven() -> np.ndarray:
    """A 7 in black strokes on white, 200x200."""
    picture = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(picture).line([(50, 40), (150, 40), (80, 170)], fill=0, width=16)
    return np.asarray(picture)


REFUSALS = {  # name: (picture file's bytes, what the one line says is wrong, and what to do)
    "blank.png": (png(np.full((200, 200), 250, np.uint8)), "no ink found", "Darker ink"),
    "noise.png": (
        png(np.clip(np.random.default_rng(0).normal(200, 6, (200, 200)), 0, 255).astype(np.uint8)),
        "no ink found",
        "Darker ink",
    ),
    "seventy-seven.png": (png(np.hstack([seven(), seven()])), "2 digits side by side", "its own picture"),
    "tiny.png": (png(np.full((5, 5), 255, np.uint8)), "too small for a digit", "at least 28x28"),
    "notes.png": (b"not a picture", "not an image Pillow can read", "PNG or JPEG"),
    "cut.png": (png(seven())[:200], "cannot read the image", "is the file complete"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_what_is_not_one_digit_is_refused_with_what_to_do(name: str) -> None:
    data, wrong, to_do = REFUSALS[name]
    with pytest.raises(ImageInputError) as refused:
        decode_digit(data, name)
    line = str(refused.value)
    assert line.startswith(f"{name}: ") and wrong in line and to_do in line and "\n" not in line


def test_a_speck_beside_the_digit_is_left_out_not_refused() -> None:
    picture = seven().copy()
    picture[185:189, 10:14] = 0  # a speck of dust in the corner
    assert np.array_equal(decode_digit(png(picture), "speck.png"), decode_digit(png(seven()), "clean.png"))
