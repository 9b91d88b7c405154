"""What the tests of the page and its server share: a server started on a free loopback port (`mnist-predict
--serve`, or uvicorn with the app), its processes read from /proc, digits drawn as the page draws them, and the
page driven with the mouse."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw

PREDICT = ("-m", "mnist_numpy_vs_torch.recognition.predict", "--serve")
UVICORN = ("-m", "uvicorn", "mnist_numpy_vs_torch.recognition.server:app", "--host", "127.0.0.1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(
    workspace: Path, temp: Path, *options: str, command: tuple[str, ...] = PREDICT
) -> Iterator[tuple[subprocess.Popen, str]]:
    """The server `command` starts (`mnist-predict --serve` unless told), with `options`, on a free loopback port,
    in a workspace with trained models, once it answers: the lifespan has loaded the models by then."""
    port = free_port()
    arguments = [sys.executable, *command, "--port", str(port), *options]
    env = os.environ | {"TMPDIR": str(temp)}
    process = subprocess.Popen(
        arguments, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"the server did not answer within 60 s:\n{process.stdout.read()}")
    try:
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=10)


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def worker_processes(pid: int) -> set[int]:
    """The worker processes `pid` started: multiprocessing's spawned children, less its resource tracker."""
    found = set()
    for child in children(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
    return found


def ended(pids: set[int], within: float = 10.0) -> set[int]:
    """Those of `pids` still running after waiting up to `within` seconds for them to end."""
    deadline = time.monotonic() + within
    while (left := {pid for pid in pids if Path(f"/proc/{pid}").exists()}) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def drawing(points: list[tuple[int, int]], size: int = 280) -> bytes:
    """A digit drawn the way the page draws it: black strokes 22 pixels wide on a white 280x280 canvas."""
    picture = Image.new("L", (size, size), 255)
    if points:
        ImageDraw.Draw(picture).line(points, fill=0, width=22, joint="curve")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


SEVEN = [(70, 60), (210, 60), (120, 230)]
ONE = [(140, 40), (140, 240)]


def post(url: str, data: bytes, name: str = "digit.png", field: str = "image") -> requests.Response:
    return requests.post(url + "predict", files={field: (name, data, "image/png")}, timeout=30)


def draw(page: object, points: list[tuple[int, int]]) -> None:
    """Mouse strokes on the page's canvas, in the canvas's 280x280 coordinates."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280

    def at(point: tuple[int, int]) -> tuple[float, float]:
        return box["x"] + point[0] * scale, box["y"] + point[1] * scale

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for start, end in itertools.pairwise(points):
        for step in range(1, 11):  # a hand moves through the points in between
            fraction = step / 10
            page.mouse.move(*at((start[0] + (end[0] - start[0]) * fraction, start[1] + (end[1] - start[1]) * fraction)))
    page.mouse.up()


MODELS = [(a, f) for a in ("cnn", "mlp") for f in ("numpy", "torch")]


def answers(page: object) -> dict[tuple[str, str], str]:
    """The digit each model's box shows, once all four have answered."""
    for architecture, framework in MODELS:
        shown = f"document.querySelector('#{architecture}-{framework} .digit').textContent !== '–'"
        page.wait_for_function(shown, timeout=15_000)
    return {(a, f): page.inner_text(f"#{a}-{f} .digit") for a, f in MODELS}


def everywhere(digit: int) -> dict[tuple[str, str], str]:
    return dict.fromkeys(MODELS, str(digit))
