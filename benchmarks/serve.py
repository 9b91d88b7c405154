"""The page's answer time: `mnist-predict --serve` on loopback, POST /predict of a drawing."""

from __future__ import annotations

import io
import socket
import statistics
import subprocess
import sys
import time

import requests
from PIL import Image, ImageDraw

from benchmarks.common import ROOT, Context, Row

TARGET_MS = 50.0


def run(context: Context, requests_count: int = 50) -> dict:
    """`mnist-predict --serve` on loopback, with the repository's models: wall milliseconds per POST /predict of a
    280x280 canvas drawing (a 7 in 22-pixel strokes, as the page sends it), median and slowest of the requests."""
    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(70, 60), (210, 60), (120, 230)], fill=0, width=22, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mnist_numpy_vs_torch.recognition.predict", "--serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/predict"
    try:
        for _ in range(300):
            try:
                requests.post(url, files={"image": ("warm-up.png", buffer.getvalue())}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        times = []
        for _ in range(requests_count):
            start = time.perf_counter()
            answer = requests.post(url, files={"image": ("drawing.png", buffer.getvalue())}, timeout=5)
            times.append((time.perf_counter() - start) * 1e3)
            answer.raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {"median_ms": statistics.median(times), "slowest_ms": max(times), "requests": requests_count}
    print(f"serve: {result}", flush=True)
    return {"serve_prediction": result}


def rows(results: dict) -> list[Row]:
    served = results["serve_prediction"]
    value = f"{served['median_ms']:.1f} ms median, {served['slowest_ms']:.1f} ms slowest"
    return [("mnist-predict --serve, POST /predict of a drawing", value, f"<= {TARGET_MS:g} ms")]
