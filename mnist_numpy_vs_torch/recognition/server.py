"""`mnist-predict --serve`: a page to draw or upload a digit on, and the models' answers, live.

    GET  /          the page (static/index.html): a canvas, a clear button, a photo picker / drop zone, and a box
                    for each model loaded (by default the CNN's two, with the MLP's beside them)
    POST /predict   a picture as the multipart form field `image` -> the JSON record `mnist-predict --json` gives
                    for one picture with the same --arch (--serve's default: all), with the 28x28 image the models
                    saw as a PNG data URL in `preprocessed`

Bad input is a 4xx answer {"error": "<one line>"}, the line the command gives; a body over MAX_BODY_BYTES is 413.
Pictures are decoded in memory: nothing is written to disk. The models load when the server starts, in each of its
worker processes (one per core), which prepare and classify the pictures while the event loop takes requests.
"""

from __future__ import annotations

import asyncio
import base64
import email.parser
import email.policy
import html
import io
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from importlib import resources

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from PIL import Image
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.recognition.classifier import Classifier, one_core
from mnist_numpy_vs_torch.recognition.picture import decode_digit

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class BadRequest(Exception):
    """A request the page or a client got wrong: its message goes back as {"error": ...}."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before they are read: by Content-Length when it is declared, and
    by counting the bytes as they arrive when it is not."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await too_large(self.limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BadRequest(f"the request body is over {self.limit // (1024 * 1024)} MB", status=413)
            return message

        await self.app(scope, counted, send)


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": f"the request body is over {limit // (1024 * 1024)} MB"}, status_code=413)


def image_field(content_type: str, body: bytes) -> tuple[bytes, str]:
    """The bytes and file name of the multipart form field `image`, parsed in memory."""
    if not content_type.startswith("multipart/form-data"):
        raise BadRequest("send the picture as multipart/form-data, in the form field 'image'")
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


def create_app(classifier: Classifier, workers: Executor) -> FastAPI:
    """The page and the API for `classifier`'s models; `workers` prepare and classify the pictures."""
    app = FastAPI(title="MNIST: NumPy vs PyTorch", docs_url=None, redoc_url=None, openapi_url=None)
    page = resources.files("mnist_numpy_vs_torch.recognition").joinpath("static/index.html").read_text(encoding="utf-8")
    models = {architecture: list(by_framework) for architecture, by_framework in classifier.predictors.items()}
    page = page.replace("__MODELS__", html.escape(json.dumps(models), quote=True))

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")  # the traceback stays in the server's log, never in the answer
        return JSONResponse({"error": "the server could not classify this picture"}, status_code=500)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return page

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        data, name = image_field(request.headers.get("content-type", ""), await request.body())
        try:
            record = await asyncio.get_running_loop().run_in_executor(workers, answer, data, name)
        except PipelineError as error:
            raise BadRequest(str(error)) from error
        return JSONResponse(record)

    return app


# In each worker process: its own copy of the models.
_classifier: Classifier | None = None


def _load_models(source: dict, server: int) -> None:
    global _classifier
    threading.Thread(target=_end_with, args=(server,), daemon=True).start()
    one_core()
    _classifier = Classifier.load(**source)


def _end_with(server: int) -> None:
    """A worker ends when the server that started it is gone, however it went (a kill leaves no time to say so)."""
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _ready(pause: float) -> int:
    time.sleep(pause)  # long enough that each call of a batch lands on its own worker
    return os.getpid()


def answer(data: bytes, name: str) -> dict:
    """In a worker: the record of one picture, as `mnist-predict --json` gives it, with the 28x28 image the models
    saw. A picture that is no digit raises the ImageInputError the command would print."""
    image = decode_digit(data, name)
    return _classifier.record(image, name) | {"preprocessed": png_data_url(image)}


def start_workers(classifier: Classifier, count: int) -> ProcessPoolExecutor:
    """`count` worker processes, each with the classifier's models loaded before the first request. Preparing and
    classifying a picture is CPU work, much of it in Python between NumPy calls: threads would share one core's
    worth of the interpreter (measured: 4 clients got 1.2x one client's requests a second), processes use every
    core."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: torch's threads do not survive a fork
    workers = ProcessPoolExecutor(
        count, mp_context=context, initializer=_load_models, initargs=(classifier.source, os.getpid())
    )
    pids = set(workers.map(_ready, [0.5] * count))
    log.info("%d worker processes ready (pids %s)", len(pids), ", ".join(map(str, sorted(pids))))
    return workers


def run(classifier: Classifier, *, host: str, port: int) -> None:
    """Serve until interrupted: the event loop takes requests; one worker process per core prepares and classifies
    the pictures."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if host not in LOOPBACK:
        log.warning("listening on %s: anyone who can reach this machine can use the page", host)
    # uvicorn stops on SIGTERM, then raises it again: exit through the `finally` below, which ends the workers.
    signal.signal(signal.SIGTERM, lambda number, _: sys.exit(128 + number))
    workers = start_workers(classifier, os.cpu_count() or 1)
    try:
        log.info("seed %d models loaded; open http://%s:%d/", classifier.seed, host, port)
        app = BodyLimit(create_app(classifier, workers), MAX_BODY_BYTES)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        workers.shutdown(cancel_futures=True)
