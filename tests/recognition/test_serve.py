"""`mnist-predict --serve`: the API on a real server over loopback, and the page in a real browser (headless
Chromium, Debian's package, driven by Playwright). Without the browser these tests fail; they never skip."""

from __future__ import annotations

import base64
import io
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from mnist_numpy_vs_torch.data import dataset
from tests.project import ARTIFACTS
from tests.recognition.serving import (
    MODELS,
    ONE,
    SEVEN,
    answers,
    children,
    draw,
    drawing,
    ended,
    everywhere,
    post,
    serving,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_the_servers_worker_processes_end_with_it(workspace: Path, server_temp: Path, stop: str) -> None:
    """Stopped (SIGTERM, as a service manager does) or killed, the server leaves none of its workers behind."""
    with serving(workspace, server_temp) as (process, _):
        workers = children(process.pid)
        assert len(workers) >= 2, "a worker per core, and multiprocessing's resource tracker"
        getattr(process, stop)()
        process.wait(timeout=10)
    left = ended(workers)
    assert not left, f"still running after the server stopped: {left}"


def loop(width: float, turns: int = 1) -> list[tuple[int, int]]:
    """An upright loop through the canvas's top and bottom (a 0), or with turns=2 crossing itself (an 8)."""
    steps = 40
    return [
        (
            round(140 + width * math.sin(turns * 2 * math.pi * k / steps)),
            round(140 - 115 * math.cos(2 * math.pi * k / steps)),
        )
        for k in range(steps + 1)
    ]


# Digits as a person draws them on the page: one stroke each, bold (the page's 22-pixel pen), filling most of it.
# Sketched 230 pixels tall about the canvas's centre, then stretched to 264 (95% of its 280), where the preparation
# before the oracle read the 6 and the 9 as 0 (the 22-pixel strokes of the sketches themselves it read right).
SKETCHES = {
    0: loop(85),
    1: [(150, 25), (125, 255)],
    2: [(60, 80), (90, 35), (150, 25), (205, 50), (215, 100), (180, 160), (60, 250), (225, 250)],
    3: [(60, 45), (140, 25), (205, 60), (200, 110), (130, 135), (205, 165), (215, 215), (150, 255), (60, 235)],
    4: [(170, 255), (170, 25), (45, 185), (235, 185)],
    5: [(210, 30), (80, 30), (70, 125), (140, 110), (200, 140), (210, 200), (160, 250), (70, 235)],
    6: [(190, 30), (110, 80), (70, 160), (80, 225), (140, 255), (200, 220), (200, 160), (140, 135), (80, 170)],
    7: [(50, 35), (220, 35), (110, 255)],
    8: loop(72, turns=2),
    9: [(200, 80), (160, 35), (100, 40), (70, 90), (100, 130), (170, 120), (200, 80), (195, 160), (170, 255)],
}
STRETCH = 264 / 230
BOLD = {
    digit: [(round(140 + STRETCH * (x - 140)), round(140 + STRETCH * (y - 140))) for x, y in points]
    for digit, points in SKETCHES.items()
}


def test_a_drawing_gets_the_same_record_as_the_command(server: str, workspace: Path, tmp_path: Path) -> None:
    picture = tmp_path / "seven.png"
    picture.write_bytes(drawing(SEVEN))
    answer = post(server, picture.read_bytes(), name=str(picture))
    assert answer.status_code == 200
    record = answer.json()
    assert record.pop("preprocessed").startswith("data:image/png;base64,")
    command = [
        sys.executable,
        "-m",
        "mnist_numpy_vs_torch.recognition.predict",
        "--arch",
        "all",
        "--json",
        str(picture),
    ]
    printed = subprocess.run(command, cwd=workspace, capture_output=True, text=True, check=True).stdout
    assert record == json.loads(printed)[0]
    assert list(record["predictions"]) == ["cnn", "mlp"], "the server answers with the CNN first, the MLP beside it"
    assert {(a, f): p["digit"] for a, by in record["predictions"].items() for f, p in by.items()} == {
        ("cnn", "numpy"): 7,
        ("cnn", "torch"): 7,
        ("mlp", "numpy"): 7,
        ("mlp", "torch"): 7,
    }


def test_the_image_the_models_saw_comes_back_as_28x28(server: str) -> None:
    record = post(server, drawing(ONE)).json()
    png = base64.b64decode(record["preprocessed"].split(",", 1)[1])
    seen = Image.open(io.BytesIO(png))
    assert seen.size == (28, 28)
    assert record["predictions"]["cnn"]["numpy"]["digit"] == 1


@pytest.mark.parametrize(
    ("body", "field", "status", "message"),
    [
        (b"not a picture", "image", 400, "broken.png: not an image Pillow can read"),
        (b"", "image", 400, "broken.png: not an image Pillow can read"),
        (drawing([]), "image", 400, "broken.png: no ink found"),
        (drawing(ONE), "photo", 400, "no form field 'image' in the request"),
    ],
)
def test_bad_input_is_a_one_line_json_error(server: str, body: bytes, field: str, status: int, message: str) -> None:
    answer = post(server, body, name="broken.png", field=field)
    assert answer.status_code == status
    error = answer.json()["detail"]
    assert error.startswith(message) and "\n" not in error and "Traceback" not in answer.text


def test_not_multipart_and_unknown_paths_are_json_errors(server: str) -> None:
    answer = requests.post(server + "predict", data=drawing(ONE), headers={"Content-Type": "image/png"}, timeout=10)
    assert answer.status_code == 400 and "multipart/form-data" in answer.json()["detail"]
    assert requests.get(server + "nowhere", timeout=10).json() == {"detail": "Not Found"}


def test_bodies_over_10_mb_are_refused_declared_or_streamed(server: str) -> None:
    big = b"\0" * (10 * 1024 * 1024 + 1)
    declared = post(server, big)
    assert declared.status_code == 413 and declared.json() == {"detail": "the request body is over 10 MB"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    streamed = requests.post(server + "predict", data=chunks(), headers={"Content-Type": "multipart/form-data"})
    assert streamed.status_code == 413 and streamed.json() == {"detail": "the request body is over 10 MB"}
    assert post(server, drawing(ONE)).status_code == 200  # and it still serves


def test_fifty_requests_at_once_are_all_answered(server: str) -> None:
    pictures = [drawing(SEVEN if i % 2 else ONE) for i in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda data: post(server, data), pictures))
    assert [a.status_code for a in answers] == [200] * 50
    assert [a.json()["predictions"]["cnn"]["torch"]["digit"] for a in answers] == [7 if i % 2 else 1 for i in range(50)]
    assert requests.get(server, timeout=10).status_code == 200


def test_nothing_is_written_to_disk(server: str, workspace: Path, server_temp: Path) -> None:
    def files() -> list[Path]:
        return sorted(p for folder in (workspace, server_temp) for p in folder.rglob("*") if p.is_file())

    before = files()
    post(server, drawing(SEVEN))
    post(server, b"\0" * (2 * 1024 * 1024))  # a large upload too
    assert files() == before


def test_the_page_draws_a_digit_and_shows_both_answers_like_the_api(browser: object, server: str) -> None:
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(server)
    draw(page, SEVEN)
    shown = answers(page)
    assert all(page.locator(f"#{a}-{f} .bar").count() == 3 for a, f in MODELS)
    assert page.locator("#seen").is_visible()
    canvas_png = base64.b64decode(page.evaluate("document.getElementById('pad').toDataURL('image/png')").split(",")[1])
    api = post(server, canvas_png).json()["predictions"]
    assert shown == {(a, f): str(api[a][f]["digit"]) for a, f in MODELS}
    assert shown == everywhere(7)
    cnn, mlp = (page.locator(f"#{a}-numpy .digit").bounding_box() for a in ("cnn", "mlp"))
    assert cnn["height"] > mlp["height"], "the CNN's answer is the large one, the MLP's beside it"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-drawing.png"))

    page.click("#clear")
    assert all(page.inner_text(f"#{a}-{f} .digit") == "–" for a, f in MODELS)
    page.close()


def test_bold_digits_drawn_to_fill_the_canvas_are_read_as_drawn(browser: object, server: str) -> None:
    """Each digit drawn with the mouse, bold and filling most of the canvas: the CNN reads it in both frameworks, and
    the image the models saw, shown dark on white on the page, is the digit on white paper, not an inverted box."""
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(server)
    read, seen_paper = {}, {}
    for digit, points in BOLD.items():
        page.click("#clear")
        draw(page, points)
        shown = answers(page)
        read[digit] = (shown["cnn", "numpy"], shown["cnn", "torch"])
        png = base64.b64decode(page.get_attribute("#seen", "src").split(",", 1)[1])
        seen_paper[digit] = float(np.mean(np.asarray(Image.open(io.BytesIO(png)).convert("L")) > 128))
    page.close()
    assert read == {digit: (str(digit), str(digit)) for digit in BOLD}
    assert all(share > 0.6 for share in seen_paper.values()), f"share of paper in what the models saw: {seen_paper}"


def test_the_page_classifies_an_uploaded_photo(
    browser: object, server: str, prepared_dir: Path, tmp_path: Path
) -> None:
    test = dataset.load_split(prepared_dir, "test")
    digit = test.images[0]  # a 7
    photo = Image.fromarray(255 - digit).resize((300, 300), Image.Resampling.BICUBIC).convert("RGB")
    path = tmp_path / "photo.jpg"
    photo.save(path, quality=85)
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(server)
    page.set_input_files("#file", str(path))
    shown = answers(page)
    assert shown == everywhere(int(test.labels[0]))
    page.close()


def test_the_page_fits_a_phone_screen(browser: object, server: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page.goto(server)
    pad = page.locator("#pad").bounding_box()
    assert pad["x"] >= 0 and pad["x"] + pad["width"] <= 390
    draw(page, ONE)
    assert answers(page) == everywhere(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-phone.png"), full_page=True)
    page.close()
