"""The server's worker processes: each loads the models once and turns a request's body into the record
`mnist-predict --json` gives, so that the event loop only moves bytes.

Preparing and classifying a picture is CPU work, much of it in Python between NumPy calls: threads would share one
core's worth of the interpreter (measured: 4 clients got 1.2x one client's requests a second), processes use every
core. So is parsing a multipart body, which is why it happens here too. The server's own process never classifies:
it imports neither torch nor the picture's preparation, and a worker costs what WORKER_BYTES says.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_numpy_vs_torch.errors import PipelineError, first_line
from mnist_numpy_vs_torch.machine import available_cores

log = logging.getLogger(__name__)

# What one worker may hold: measured, 284 MiB resident (227 MiB proportional to the pages it shares) after twenty
# drawings with the committed configuration's CNN and MLP in both frameworks; the rest is room for decoding a large
# photo.
WORKER_BYTES = 400 * 1024 * 1024


class BadRequest(PipelineError):
    """A request the page or a client got wrong: its one line goes back as the answer's detail."""


def available_memory(proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes this process may still take: the system's MemAvailable, or less where a container's memory limit
    (cgroup v2's memory.max less memory.current) leaves less. None where neither can be read (not Linux)."""
    found = []
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit.isdigit():  # "max" where the container has no limit
            found.append(int(limit) - int((cgroup / "memory.current").read_text()))
    except (OSError, ValueError):
        pass
    return max(0, min(found)) if found else None


def default_count() -> int:
    """One worker per core this process may use (its CPU affinity), as many as the available memory holds."""
    cores = available_cores()
    memory = available_memory()
    return max(1, cores if memory is None else min(cores, memory // WORKER_BYTES))


def image_field(content_type: str, body: bytes) -> tuple[bytes, str]:
    """The bytes and file name of the multipart form field `image`, parsed in memory: nothing goes to disk."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "image":
            return part.get_payload(decode=True) or b"", part.get_filename() or "image"
    raise BadRequest("no form field 'image' in the request: send the picture in it")


def png_data_url(image: np.ndarray) -> str:
    """The 28x28 image the models saw, dark on white as a person would draw it."""
    buffer = io.BytesIO()
    Image.fromarray(255 - image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# In each worker process: its own copy of the models, or why they did not load.
_classifier = None
_failure: str | None = None


def _load_models(source: dict, server: int) -> None:
    global _classifier, _failure
    threading.Thread(target=_end_with, args=(server,), daemon=True).start()
    from mnist_numpy_vs_torch.recognition.classifier import Classifier, one_core  # torch loads in workers only

    one_core()
    try:
        _classifier = Classifier.load(**source)
    except PipelineError as error:  # an initializer that raises breaks the pool and loses the message
        _failure = first_line(error)


def _end_with(server: int) -> None:
    """A worker ends when the server that started it is gone, however it went (a kill leaves no time to say so)."""
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _ready(pause: float) -> tuple[int, str | None]:
    time.sleep(pause)  # long enough that each call of a batch lands on its own worker
    return os.getpid(), _failure


def answer(content_type: str, body: bytes) -> dict:
    """The record of one request's picture, as `mnist-predict --json` gives it, with the 28x28 image the models saw.
    A picture that is no digit raises the ImageInputError the command would print."""
    from mnist_numpy_vs_torch.recognition.picture import decode_digit

    if _classifier is None:
        raise PipelineError(_failure or "the models are not loaded")
    data, name = image_field(content_type, body)
    image = decode_digit(data, name)
    return _classifier.record(image, name) | {"preprocessed": png_data_url(image)}


def start(source: dict, count: int) -> ProcessPoolExecutor:
    """`count` worker processes, each with the models of `source` (Classifier.load's arguments) loaded before the
    first request. A model that does not load is the PipelineError it raised, once all have tried."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: torch's threads do not survive a fork
    workers = ProcessPoolExecutor(count, mp_context=context, initializer=_load_models, initargs=(source, os.getpid()))
    ready = dict(workers.map(_ready, [0.5] * count))
    failures = {failure for failure in ready.values() if failure}
    if failures:
        workers.shutdown(cancel_futures=True)
        raise PipelineError(failures.pop())
    log.info("%d worker processes ready (pids %s)", len(ready), ", ".join(map(str, sorted(ready))))
    return workers
