"""Benchmarks: NumPy vs PyTorch vs the machine's limit, side by side. Not part of `dvc repro`, and not a test.

    python -m benchmarks.run                    # everything (about ten minutes on two cores)
    python -m benchmarks.run --skip-pipeline    # without the fresh-clone `dvc repro` (about one minute)
    python -m benchmarks.run --only sweep photo # just the queued sweep (-j 1 vs -j 2) and the 12-MP photo, merged

It times the trainers' real code paths (`SGDTrainer.train_epoch`, `TorchTrainer.train_epoch`) on the prepared
data from `dvc repro`. It prints a table of measurements and target ratios and writes them to benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import itertools
import json
import linecache
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from mnist_numpy_vs_torch import dataset, machine, mlp_torch, seeding, training
from mnist_numpy_vs_torch.mlp_numpy import NumpyMLP, SGDTrainer, shifted_exp
from mnist_numpy_vs_torch.params import Params, TrainParams, load_params
from stages import parse

ROOT = Path(__file__).resolve().parents[1]
SLOW_PEAK_FRACTION = 0.15  # a round whose peak is this far below the run's best ran in a slow stretch
TARGETS = {
    "numpy_over_torch_default_model": 0.75,
    "numpy_over_torch_784_800_10_b512": 0.90,
    "numpy_share_of_peak_784_800_10_b512": 0.85,
    "parse_over_gzip": 1.5,
    "noop_repro_seconds": 3.0,
    "pipeline_seconds": 150.0,
    "stage_peak_rss_mib": 1024.0,
    "serve_prediction_ms": 50.0,
    "photo_preparation_seconds": 0.3,
}


def best_seconds(run: Callable[[], object], repeats: int, warm_up: bool = False) -> float:
    """The fastest of `repeats` timed calls of `run` (after one untimed call, with warm_up)."""
    if warm_up:
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peak(threads: int, size: int = 2048, repeats: int = 7) -> dict[str, float]:
    """Float32 GFLOP/s of a large square product, best of `repeats`, through NumPy's BLAS and through torch."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = np.random.default_rng(1).random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    gflop = 2 * size**3 / 1e9
    with threadpool_limits(threads, user_api="blas"):
        numpy_peak = gflop / best_seconds(lambda: np.matmul(a, b, out=out), repeats, warm_up=True)
    ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
    torch_peak = gflop / best_seconds(lambda: torch.matmul(ta, tb, out=tout), repeats, warm_up=True)
    return {"numpy_gflops": numpy_peak, "torch_gflops": torch_peak}


def numpy_peak_now(size: int = 1536, repeats: int = 3) -> float:
    """The BLAS's float32 GFLOP/s right now (best of a few products, a fraction of a second): the limit a round's
    epochs are held against, measured in the same stretch of the machine's speed as they are."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = np.random.default_rng(1).random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    return 2 * size**3 / 1e9 / best_seconds(lambda: np.matmul(a, b, out=out), repeats, warm_up=True)


def training_flops_per_sample(hidden: list[int]) -> int:
    """Forward 2*sum(fan_in*fan_out); backward the same for the weight gradients, plus the deltas of every layer but
    the first (no gradient for the input)."""
    sizes = seeding.layer_sizes(hidden)
    products = [a * b for a, b in itertools.pairwise(sizes)]
    return 2 * sum(products) * 2 + 2 * sum(products[1:])


def epoch_race(data: dataset.Inputs, hidden: list[int], batch_size: int, train: TrainParams, rounds: int) -> dict:
    """Rounds of: the BLAS peak now, then one NumPy and one torch epoch back to back (same model, batch size, data
    and order), the order alternating between rounds. Each round is judged against its own peak."""
    layers = seeding.initial_weights(hidden, "kaiming_uniform", seed=0)
    steps = -(-len(data.y) // batch_size)
    lrs = np.full(steps, train.lr * 0.1)  # gentle: no divergence on any model
    numpy_trainer = SGDTrainer(NumpyMLP(layers), batch_size, train.momentum, train.weight_decay)
    torch_model = mlp_torch.from_layers(layers)
    torch_trainer = mlp_torch.TorchTrainer(torch_model, train.momentum, train.weight_decay)
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    flops = training_flops_per_sample(hidden) * len(data.y)

    def numpy_epoch(order: np.ndarray) -> float:
        start = time.perf_counter()
        numpy_trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
        return time.perf_counter() - start

    def torch_epoch(order: np.ndarray) -> float:
        start = time.perf_counter()
        torch_trainer.train_epoch(x, y, order, batch_size, lrs)
        return time.perf_counter() - start

    per_round = []
    for round_ in range(rounds + 1):  # the first round warms caches and allocators and is not counted
        order = seeding.epoch_order(len(data.y), seed=0, epoch=round_)
        peak = numpy_peak_now()
        if round_ % 2:
            torch_seconds, numpy_seconds = torch_epoch(order), numpy_epoch(order)
        else:
            numpy_seconds, torch_seconds = numpy_epoch(order), torch_epoch(order)
        if round_:
            per_round.append(
                {
                    "first": "torch" if round_ % 2 else "numpy",
                    "peak_gflops": peak,
                    "numpy_seconds": numpy_seconds,
                    "torch_seconds": torch_seconds,
                    "numpy_over_torch": numpy_seconds / torch_seconds,
                    "numpy_share_of_peak": flops / numpy_seconds / 1e9 / peak,
                }
            )
    best_peak = max(r["peak_gflops"] for r in per_round)
    for r in per_round:
        r["slow_stretch"] = r["peak_gflops"] < (1 - SLOW_PEAK_FRACTION) * best_peak
    return {
        "model": f"784-{'-'.join(map(str, hidden))}-10",
        "batch_size": batch_size,
        "numpy_epoch_seconds": statistics.median(r["numpy_seconds"] for r in per_round),
        "torch_epoch_seconds": statistics.median(r["torch_seconds"] for r in per_round),
        **median_and_range("numpy_over_torch", [r["numpy_over_torch"] for r in per_round]),
        **median_and_range("numpy_share_of_peak", [r["numpy_share_of_peak"] for r in per_round]),
        "slow_stretch_rounds": sum(r["slow_stretch"] for r in per_round),
        "rounds": per_round,
    }


def median_and_range(name: str, values: list[float]) -> dict:
    return {name: statistics.median(values), f"{name}_range": [min(values), max(values)]}


class LineTimes:
    """Wall time per source line of the given functions, by `sys.settrace`: the time from one trace event to the next
    is charged to the line that was running, so a call into untraced code (NumPy's C functions and Python wrappers)
    counts in the line that made it."""

    def __init__(self, functions: list[Callable]) -> None:
        self.codes = {function.__code__ for function in functions}
        self.seconds: dict[tuple, float] = collections.defaultdict(float)
        self.line: tuple | None = None
        self.last = 0.0

    def __enter__(self) -> LineTimes:
        self.last = time.perf_counter()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)
        self._charge(None)

    def _charge(self, next_line: tuple | None) -> None:
        now = time.perf_counter()
        if self.line is not None:
            self.seconds[self.line] += now - self.last
        self.line, self.last = next_line, now

    def _on_call(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:
        if frame.f_code not in self.codes:
            return None
        self._charge((frame.f_code, frame.f_lineno))
        return self._on_line

    def _on_line(self, frame: types.FrameType, event: str, arg: object) -> Callable:
        if event == "line":
            self._charge((frame.f_code, frame.f_lineno))
        elif event == "return":
            caller = frame.f_back
            self._charge((caller.f_code, caller.f_lineno) if caller and caller.f_code in self.codes else None)
        return self._on_line


def numpy_step_profile(data: dataset.Inputs, hidden: list[int], batch_size: int, steps: int) -> dict:
    """Where a NumPy training step's time goes, line by line of the trainer's own code (SGDTrainer.train_epoch,
    gradients, update and shifted_exp) in real steps. A line that calls np.matmul is a BLAS product; every other
    line is the rest (element-wise passes, reductions, the gather and Python). The same steps run untraced just
    before show roughly what the tracing costs."""
    trainer = SGDTrainer(NumpyMLP(seeding.initial_weights(hidden, "kaiming_uniform", seed=0)), batch_size, 0.9, 5e-4)
    order = seeding.epoch_order(len(data.y), seed=0, epoch=0)[: steps * batch_size]
    lrs = np.full(steps, 0.01)
    trainer.train_epoch(data.x, data.y, order, batch_size, lrs)  # warm-up
    start = time.perf_counter()
    trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
    untraced = time.perf_counter() - start
    with LineTimes([SGDTrainer.train_epoch, SGDTrainer.gradients, SGDTrainer.update, shifted_exp]) as times:
        trainer.train_epoch(data.x, data.y, order, batch_size, lrs)
    traced = sum(times.seconds.values())
    lines = [
        {
            "function": code.co_name,
            "line": number,
            "code": linecache.getline(code.co_filename, number).strip(),
            "ms_per_step": seconds / steps * 1e3,
            "share": seconds / traced,
        }
        for (code, number), seconds in sorted(times.seconds.items(), key=lambda item: -item[1])
    ]
    blas = sum(line["ms_per_step"] for line in lines if "np.matmul" in line["code"])
    step = traced / steps * 1e3
    return {
        "model": f"784-{'-'.join(map(str, hidden))}-10",
        "batch_size": batch_size,
        "steps": steps,
        "step_ms": step,
        "untraced_step_ms": untraced / steps * 1e3,
        "blas_products_ms": blas,
        "rest_ms": step - blas,
        # The step's time if the rest took none, and if the rest were split perfectly over two cores, as fractions
        # of today's step: they scale the measured ratio and share into the best any tuning of the rest could give.
        "blas_only_fraction": blas / step,
        "rest_on_two_cores_fraction": (blas + (step - blas) / 2) / step,
        "lines": lines,
    }


def bounds(profile: dict, race: dict) -> dict:
    """The race's median ratio and share, as they would be if a step took only the profile's fractions of today's:
    the ratio shrinks by the fraction and the share grows by its inverse."""
    figures = {}
    for name in ("blas_only", "rest_on_two_cores"):
        fraction = profile[f"{name}_fraction"]
        figures[f"{name}_numpy_over_torch"] = race["numpy_over_torch"] * fraction
        figures[f"{name}_numpy_share_of_peak"] = race["numpy_share_of_peak"] / fraction
    return figures


def parse_vs_gzip(raw_dir: Path, repeats: int = 5) -> dict[str, float]:
    """The parse stage's work (decode, split, facts, save) against bare gzip decompression of the same files."""
    files = sorted(raw_dir.glob("*.gz"))
    gzip_seconds = best_seconds(lambda: [gzip.decompress(f.read_bytes()) for f in files], repeats)
    with tempfile.TemporaryDirectory() as out:

        def parse_stage() -> None:
            splits = parse.prepare(raw_dir, val_size=5000, seed=0)
            dataset.save(Path(out), splits, dataset.facts(splits))

        parse_seconds = best_seconds(parse_stage, repeats)
    return {
        "gzip_seconds": gzip_seconds,
        "parse_seconds": parse_seconds,
        "parse_over_gzip": parse_seconds / gzip_seconds,
    }


class PeakMemory(threading.Thread):
    """Samples the peak resident memory (VmHWM) of the `python -m stages.X` processes descended from a parent."""

    def __init__(self, parent_pid: int) -> None:
        super().__init__(daemon=True)
        self.parent_pid = parent_pid
        self.peaks: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    self._sample(pid)
            time.sleep(0.02)

    def _sample(self, pid: str) -> None:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            match = re.fullmatch(rb"stages\.(\w+)", command[2]) if len(command) > 2 and command[1] == b"-m" else None
            if match and self._descends_from_parent(pid):
                status = Path(f"/proc/{pid}/status").read_text()
                peak_kib = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
                stage = match.group(1).decode()
                self.peaks[stage] = max(self.peaks.get(stage, 0), peak_kib)
        except (OSError, AttributeError, IndexError):
            pass

    def _descends_from_parent(self, pid: str) -> bool:
        while pid not in ("0", "1"):
            if int(pid) == self.parent_pid:
                return True
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = stat.rsplit(")", 1)[1].split()[1]  # the parent's pid, after the command name in parentheses
        return False


def fresh_clone_pipeline(mirror: str) -> dict:
    """`dvc repro` in a fresh clone of HEAD, then a no-op `dvc repro`: wall seconds, and each stage's peak RSS."""
    env = os.environ | {
        "MNIST_MIRROR": mirror,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        dvc = [sys.executable, "-m", "dvc", "repro"]
        start = time.perf_counter()
        process = subprocess.Popen(dvc, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        memory = PeakMemory(process.pid)
        memory.start()
        _, stderr = process.communicate()
        pipeline_seconds = time.perf_counter() - start
        memory.done.set()
        if process.returncode:
            raise SystemExit(f"dvc repro failed in the fresh clone:\n{stderr.decode()}")
        start = time.perf_counter()
        subprocess.run(dvc, cwd=clone, env=env, check=True, capture_output=True)
        noop_seconds = time.perf_counter() - start
    return {
        "pipeline_seconds": pipeline_seconds,
        "noop_repro_seconds": noop_seconds,
        "stage_peak_rss_mib": {stage: kib / 1024 for stage, kib in memory.peaks.items()},
    }


SWEEP_GRIDS = {1: "0.05,0.07,0.15,0.2", 2: "0.06,0.08,0.16,0.25"}  # same cost, distinct: no run-cache hits
SWEEP_SETTINGS = ["-S", "train.epochs=2", "-S", "train.seeds=[0]"]


def queued_sweep(mirror: str) -> dict:
    """Wall seconds of a 4-point `train.lr` sweep (2 epochs, 1 seed each) run by `dvc queue start -j 1` and by
    `-j 2`, in one fresh clone after `dvc repro`, one right after the other; `threads: auto` divides the cores."""
    env = os.environ | {
        "MNIST_MIRROR": mirror,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    dvc = [sys.executable, "-m", "dvc"]
    results: dict = {"date": time.strftime("%Y-%m-%d"), "experiments": 4, "settings": " ".join(SWEEP_SETTINGS)}
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run([*dvc, "repro"], cwd=clone, env=env, check=True, capture_output=True)
        for jobs, grid in SWEEP_GRIDS.items():
            queue = [*dvc, "exp", "run", "--queue", "-S", f"train.lr={grid}", *SWEEP_SETTINGS]
            subprocess.run(queue, cwd=clone, env=env, check=True, capture_output=True)
            start = time.perf_counter()
            subprocess.run([*dvc, "queue", "start", "-j", str(jobs)], cwd=clone, env=env, check=True)
            while True:
                status = subprocess.run([*dvc, "queue", "status"], cwd=clone, env=env, capture_output=True, text=True)
                if not re.search(r"\b(Queued|Running)\b", status.stdout):
                    break
                time.sleep(0.5)
            results[f"jobs_{jobs}_seconds"] = time.perf_counter() - start
            if status.stdout.count("Success") != 4 * len([j for j in SWEEP_GRIDS if j <= jobs]):
                raise SystemExit(f"the -j {jobs} sweep did not succeed:\n{status.stdout}")
            print(f"sweep -j {jobs}: {results[f'jobs_{jobs}_seconds']:.1f} s", flush=True)
    results["j1_over_j2"] = results["jobs_1_seconds"] / results["jobs_2_seconds"]
    return results


def photo_preparation(digit: np.ndarray, repeats: int = 5) -> dict:
    """Best-of-`repeats` seconds for `decode_digit` on a 4000x3000 (12-megapixel) colour JPEG of `digit` (28x28
    uint8, MNIST's) on dim, uneven paper: decoding, orientation, ink, digit, strokes, 28x28."""
    from PIL import Image

    from mnist_numpy_vs_torch.digit_image import decode_digit

    ink = np.asarray(Image.fromarray(digit).resize((1200, 1200), Image.Resampling.BICUBIC), np.float32) / 255
    ys, xs = np.mgrid[0:3000, 0:4000].astype(np.float32)
    paper = 0.45 * (1 + 0.3 * (xs / 4000 - 0.5)) * (1 - 0.5 * ((xs / 4000 - 0.5) ** 2 + (ys / 3000 - 0.5) ** 2))
    page = np.repeat(paper[..., None], 3, axis=2)
    page[900:2100, 1400:2600] *= (1 - 0.85 * ink)[..., None]
    buffer = io.BytesIO()
    Image.fromarray((page * 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=90)
    photo = buffer.getvalue()
    seconds = best_seconds(lambda: decode_digit(photo, "12-megapixel.jpg"), repeats, warm_up=True)
    return {"pixels": "4000x3000", "jpeg_bytes": len(photo), "seconds": seconds}


def gpu_time_to_98(data: dataset.Inputs, prepared_dir: Path, params: Params) -> dict | None:
    """On CUDA: wall seconds of the torch trainer (default params) until test accuracy first reaches 98%."""
    if not torch.cuda.is_available():
        return None
    device = torch.device("cuda")
    test = dataset.load_inputs(prepared_dir, "test")
    test_x, test_y = torch.from_numpy(test.x).to(device), torch.from_numpy(test.y).to(device)
    train = params.train
    mlp_torch.configure(1, seed=0)
    model = mlp_torch.from_layers(seeding.initial_weights(params.model.hidden, params.model.init, 0))
    model = model.to(device)
    trainer = mlp_torch.TorchTrainer(model, train.momentum, train.weight_decay)
    x, y = torch.from_numpy(data.x).to(device), torch.from_numpy(data.y).to(device)
    lrs = training.run_learning_rates(train, len(data))
    torch.cuda.synchronize()
    start = time.perf_counter()
    for epoch in range(train.epochs):
        trainer.train_epoch(x, y, seeding.epoch_order(len(data.y), 0, epoch), train.batch_size, lrs[epoch])
        accuracy = mlp_torch.evaluate(model, test_x, test_y)[1]
        if accuracy >= 0.98:
            torch.cuda.synchronize()
            return {"device": torch.cuda.get_device_name(), "epochs": epoch + 1, "seconds": time.perf_counter() - start}
    return {"device": torch.cuda.get_device_name(), "epochs": None, "seconds": None}


def serve_prediction(requests_count: int = 50) -> dict:
    """`mnist-predict --serve` on loopback, with the repository's models: wall milliseconds per POST /predict of a
    280x280 canvas drawing (a 7 in 22-pixel strokes, as the page sends it), median and slowest of the requests."""
    import requests
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(70, 60), (210, 60), (120, 230)], fill=0, width=22, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mnist_numpy_vs_torch.predict", "--serve", "--port", str(port)]
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
    return {"median_ms": statistics.median(times), "slowest_ms": max(times), "requests": requests_count}


def table(results: dict) -> str:
    rows = [("measurement", "value", "target")]
    peak = results["matmul_peak"]
    rows.append(("float32 matmul peak, NumPy BLAS", f"{peak['numpy_gflops']:.0f} GFLOP/s", "the limit"))
    rows.append(("float32 matmul peak, torch", f"{peak['torch_gflops']:.0f} GFLOP/s", ""))
    for race in results["epochs"]:
        label = f"{race['model']} batch {race['batch_size']}"
        rows.append(
            (
                f"epoch, {label}: NumPy / torch",
                f"{race['numpy_epoch_seconds']:.3f} s / {race['torch_epoch_seconds']:.3f} s",
                "",
            )
        )
        default_model = race is results["epochs"][0]
        target = TARGETS["numpy_over_torch_default_model" if default_model else "numpy_over_torch_784_800_10_b512"]
        low, high = race["numpy_over_torch_range"]
        ratio = f"{race['numpy_over_torch']:.2f} (rounds {low:.2f}-{high:.2f})"
        rows.append(("  NumPy/torch, median of per-round ratios", ratio, f"<= {target}"))
        low, high = race["numpy_share_of_peak_range"]
        share = f"{race['numpy_share_of_peak']:.0%} (rounds {low:.0%}-{high:.0%})"
        share_target = "" if default_model else f">= {TARGETS['numpy_share_of_peak_784_800_10_b512']:.0%}"
        rows.append(("  NumPy share of the same round's peak, median", share, share_target))
        rows.append(
            (
                f"  rounds with the peak over {SLOW_PEAK_FRACTION:.0%} below the best",
                f"{race['slow_stretch_rounds']} of {len(race['rounds'])}",
                "",
            )
        )
    for profile in results["numpy_step_profile"]:
        label = f"NumPy step, {profile['model']} batch {profile['batch_size']}, traced line by line"
        untraced = f"{profile['step_ms']:.2f} ms ({profile['untraced_step_ms']:.2f} ms untraced)"
        rows.append((label, untraced, ""))
        for part, name in (("blas_products_ms", "lines with a BLAS product"), ("rest_ms", "all other lines")):
            rows.append((f"  {name}", f"{profile[part]:.2f} ms ({profile[part] / profile['step_ms']:.0%})", ""))
        for line in profile["lines"][:6]:
            rows.append((f"    {line['code'][:60]}", f"{line['ms_per_step']:.2f} ms ({line['share']:.0%})", ""))
        for name in ("blas_only", "rest_on_two_cores"):
            ratio, share = profile[f"{name}_numpy_over_torch"], profile[f"{name}_numpy_share_of_peak"]
            bound = f"{ratio:.2f}x torch, {share:.0%} of peak"
            what = "if all other lines took no time" if name == "blas_only" else "if they ran perfectly on two cores"
            rows.append((f"  {what}", bound, ""))
    p = results["parse"]
    rows.append(
        (
            "parse / gzip floor",
            f"{p['parse_seconds']:.3f} s / {p['gzip_seconds']:.3f} s = {p['parse_over_gzip']:.2f}",
            "<= 1.5",
        )
    )
    if "sweep" in results:
        sweep = results["sweep"]
        rows.append(
            (
                f"queued sweep, {sweep['experiments']} points ({sweep['date']})",
                f"-j 1 {sweep['jobs_1_seconds']:.0f} s, -j 2 {sweep['jobs_2_seconds']:.0f} s, "
                f"speed-up {sweep['j1_over_j2']:.2f}x",
                "",
            )
        )
    if "pipeline" in results:
        pipe = results["pipeline"]
        rows.append(("whole dvc repro, fresh clone", f"{pipe['pipeline_seconds']:.1f} s", "<= 150 s"))
        rows.append(("no-op dvc repro", f"{pipe['noop_repro_seconds']:.2f} s", "<= 3 s"))
        for stage, mib in pipe["stage_peak_rss_mib"].items():
            rows.append((f"peak RSS, {stage}", f"{mib:.0f} MiB", "<= 1024 MiB"))
    if "photo_preparation" in results:
        photo = results["photo_preparation"]
        rows.append(("prepare a 12-megapixel photo (decode_digit)", f"{photo['seconds']:.3f} s", "<= 0.3 s"))
    served = results["serve_prediction"]
    rows.append(
        (
            "mnist-predict --serve, POST /predict of a drawing",
            f"{served['median_ms']:.1f} ms median, {served['slowest_ms']:.1f} ms slowest",
            "<= 50 ms",
        )
    )
    gpu = results.get("gpu_time_to_98")
    rows.append(
        (
            "torch on GPU, time to 98% test accuracy",
            "no GPU here" if gpu is None else f"{gpu['seconds']} s ({gpu['device']})",
            "",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared-dir", type=Path, default=ROOT / "data" / "prepared")
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "data" / "raw")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pipeline", action="store_true", help="leave out the fresh-clone dvc repro")
    parser.add_argument(
        "--only", nargs="+", choices=["sweep", "photo"], help="run only these parts; merge them into --out"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args()
    mirror = os.environ.get("MNIST_MIRROR") or str(args.raw_dir.resolve())
    if args.only:
        results = json.loads(args.out.read_text())
        if "photo" in args.only:
            results["photo_preparation"] = photo_preparation(dataset.load_split(args.prepared_dir, "test").images[0])
        if "sweep" in args.only:
            results["sweep"] = queued_sweep(mirror)
        results["targets"] = TARGETS
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(table(results))
        return
    params = load_params(ROOT / "params.yaml")
    threads = machine.threads_for(params.train_numpy.threads)
    torch.set_num_threads(machine.threads_for(params.train_torch.threads))
    data = dataset.load_inputs(args.prepared_dir, "train")

    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu": machine.cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
        "versions": {"numpy": machine.numpy_environment(threads), "torch": machine.torch_environment("cpu", threads)},
        "matmul_peak": matmul_peak(threads),
    }
    print(f"matmul peak: {results['matmul_peak']}", flush=True)
    with threadpool_limits(threads, user_api="blas"):
        results["epochs"], results["numpy_step_profile"] = [], []
        models = [(list(params.model.hidden), params.train.batch_size), ([800], 512)]  # default, matmul-bound
        for hidden, batch_size in models:
            race = epoch_race(data, hidden, batch_size, params.train, args.rounds)
            print(
                f"epochs: {race['model']} b{race['batch_size']}: ratio {race['numpy_over_torch']:.2f}, share "
                f"{race['numpy_share_of_peak']:.0%}",
                flush=True,
            )
            results["epochs"].append(race)
        for (hidden, batch_size), race in zip(models, results["epochs"]):
            profile = numpy_step_profile(data, hidden, batch_size, steps=24_000 // batch_size)
            results["numpy_step_profile"].append(profile | bounds(profile, race))
        results["parse"] = parse_vs_gzip(args.raw_dir)
    if not args.skip_pipeline:
        results["pipeline"] = fresh_clone_pipeline(mirror)
        results["sweep"] = queued_sweep(mirror)
    results["photo_preparation"] = photo_preparation(dataset.load_split(args.prepared_dir, "test").images[0])
    results["serve_prediction"] = serve_prediction()
    print(f"serve: {results['serve_prediction']}", flush=True)
    results["gpu_time_to_98"] = gpu_time_to_98(data, args.prepared_dir, params)
    results["targets"] = TARGETS
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
