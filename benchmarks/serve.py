"""The page's answer time and throughput: `mnist-predict --serve` on loopback (its default worker processes, one
per core), POST /predict of a drawing, from one client and from several at once.

    python -m benchmarks.serve          # this part alone, merged into benchmarks/results.json (benchmarks.run's
                                        # options apply: --out PATH writes elsewhere)
"""

from __future__ import annotations

import io
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from PIL import Image, ImageDraw

from benchmarks.common import ROOT, Context, Row

TARGET_MS = 50.0
CLIENTS = 4
TARGET_SPEED_UP = 1.6  # CLIENTS at once against one client's requests a second, on two cores


def drawing() -> bytes:
    """A 280x280 canvas drawing, a 7 in 22-pixel strokes, as the page sends it."""
    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(70, 60), (210, 60), (120, 230)], fill=0, width=22, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def run(context: Context, requests_count: int = 50) -> dict:
    """`mnist-predict --serve` on loopback, with the repository's models: wall milliseconds per POST /predict of a
    drawing from one client, median and slowest; then requests a second from one client and from CLIENTS clients at
    once (each sending `requests_count` one after another), and how many answers were not 200."""
    picture = drawing()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mnist_numpy_vs_torch.recognition.predict", "--serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/predict"

    def client(count: int) -> tuple[list[float], int]:
        times, failed = [], 0
        with requests.Session() as session:
            for _ in range(count):
                start = time.perf_counter()
                answer = session.post(url, files={"image": ("drawing.png", picture)}, timeout=30)
                times.append((time.perf_counter() - start) * 1e3)
                failed += answer.status_code != 200
        return times, failed

    try:
        for _ in range(300):
            try:
                requests.post(url, files={"image": ("warm-up.png", picture)}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        start = time.perf_counter()
        times, failed = client(requests_count)
        alone = requests_count / (time.perf_counter() - start)
        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(client, [requests_count] * CLIENTS))
        together = CLIENTS * requests_count / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "median_ms": statistics.median(times),
        "slowest_ms": max(times),
        "requests": requests_count,
        "requests_per_second_one_client": alone,
        "clients": CLIENTS,
        f"requests_per_second_{CLIENTS}_clients": together,
        f"median_ms_{CLIENTS}_clients": statistics.median(t for times, _ in results for t in times),
        "speed_up": together / alone,
        "not_answered": failed + sum(f for _, f in results),
    }
    print(f"serve: {result}", flush=True)
    return {"serve_prediction": result}


def rows(results: dict) -> list[Row]:
    served = results["serve_prediction"]
    value = f"{served['median_ms']:.1f} ms median, {served['slowest_ms']:.1f} ms slowest"
    rows = [("mnist-predict --serve, POST /predict of a drawing", value, f"<= {TARGET_MS:g} ms")]
    if "speed_up" in served:  # an entry of one client's answer times alone has no throughput
        clients = served["clients"]
        together = served[f"requests_per_second_{clients}_clients"]
        value = (
            f"{served['speed_up']:.2f}x ({served['requests_per_second_one_client']:.0f} -> {together:.0f} a second, "
            f"{served['not_answered']} not answered)"
        )
        rows.append((f"--serve, {clients} clients at once vs one", value, f">= {TARGET_SPEED_UP}x, none lost"))
    return rows


if __name__ == "__main__":
    from benchmarks import run as benchmarks_run

    benchmarks_run.main(["--only", "serve", *sys.argv[1:]])
