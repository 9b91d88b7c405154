"""The page to draw or upload a digit on, and the models' answers, live: a FastAPI app.

    GET  /          the page (static/index.html): a canvas, a clear button, a photo button and drop zone, and a box
                    for each model loaded (by default the CNN's two, with the MLP's beside them)
    POST /predict   a picture as the multipart form field `image` -> the JSON record `mnist-predict --json` gives
                    for one picture with the same --arch (the server's default: all), with the 28x28 image the
                    models saw as a PNG data URL in `preprocessed`
    GET  /healthz   which models are loaded (seed, architectures and frameworks) and how many workers answer
    GET  /docs      the API, described (OpenAPI at /openapi.json)

`mnist-predict --serve` runs it, and so does any ASGI server: `uvicorn mnist_numpy_vs_torch.recognition.server:app`
(`--reload` too) takes its settings from the environment (Settings.from_environment). The worker processes start
in the app's lifespan, before the first request, and end with it.

Bad input is a 4xx answer {"detail": "<one line>"}, the line the command gives; a body over MAX_BODY_BYTES is 413.
Pictures are decoded in memory: nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from mnist_numpy_vs_torch.errors import PipelineError
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES, answering_order
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS
from mnist_numpy_vs_torch.recognition import workers
from mnist_numpy_vs_torch.recognition.project import data_folders, default_seed

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
TOO_LARGE = f"the request body is over {MAX_BODY_BYTES // (1024 * 1024)} MB"
ENVIRONMENT = {  # what `uvicorn ...server:app` reads, and what mnist-predict's options are called
    "MNIST_PREDICT_PROJECT": "--project",
    "MNIST_PREDICT_ARCH": "--arch",
    "MNIST_PREDICT_WORKERS": "--workers",
}


@dataclass(frozen=True)
class Settings:
    """Which models answer and how many worker processes: `source` is Classifier.load's arguments, each resolved
    (the folders found, the seed chosen) so that every worker loads the same models."""

    source: dict
    workers: int

    @classmethod
    def resolve(
        cls,
        models_dir: Path | None = None,
        prepared_dir: Path | None = None,
        seed: int | None = None,
        frameworks: tuple[str, ...] = FRAMEWORKS,
        top: int = 3,
        architectures: tuple[str, ...] = tuple(ARCHITECTURES),
        count: int | None = None,
        project: Path | None = None,
    ) -> Settings:
        """The folders found and the seed chosen here: a missing model is one line before any worker starts."""
        models_dir, prepared_dir = data_folders(project, models_dir, prepared_dir)
        architectures = answering_order(architectures)
        seed = default_seed(models_dir, architectures, frameworks) if seed is None else seed
        source = {
            "models_dir": models_dir,
            "prepared_dir": prepared_dir,
            "seed": seed,
            "frameworks": frameworks,
            "top": top,
            "architectures": architectures,
        }
        return cls(source, workers.default_count() if count is None else count)

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        """MNIST_PREDICT_PROJECT, MNIST_PREDICT_ARCH (cnn, mlp or all) and MNIST_PREDICT_WORKERS, each as
        mnist-predict's option of the same name; unset, the same defaults as `mnist-predict --serve`."""
        environ = os.environ if environ is None else environ
        project, arch, count = (environ.get(name) or None for name in ENVIRONMENT)
        if arch is not None and arch not in (*ARCHITECTURES, "all"):
            raise PipelineError(f"MNIST_PREDICT_ARCH={arch}: give one of {', '.join(ARCHITECTURES)} or all")
        if count is not None and not (count.isdigit() and int(count) >= 1):
            raise PipelineError(f"MNIST_PREDICT_WORKERS={count}: give a number of worker processes, 1 or more")
        return cls.resolve(
            project=Path(project) if project else None,
            architectures=tuple(ARCHITECTURES) if arch in (None, "all") else (arch,),
            count=int(count) if count else None,
        )

    def models(self) -> dict[str, list[str]]:
        """{architecture: [framework, ...]}, the default architecture first: the boxes the page shows."""
        return {a: list(self.source["frameworks"]) for a in self.source["architectures"]}


class Top(BaseModel):
    digit: int
    probability: float


class Prediction(BaseModel):
    digit: int
    top: list[Top]


class Record(BaseModel):
    """What `mnist-predict --json` prints for one picture, with the 28x28 image the models saw."""

    image: str
    seed: int
    predictions: dict[str, dict[str, Prediction]]  # architecture -> framework -> answer, the default first
    preprocessed: str  # a PNG data URL


class Problem(BaseModel):
    detail: str  # one line: what is wrong, and what to do


class Health(BaseModel):
    status: str
    seed: int
    models: dict[str, list[str]]
    workers: int


UPLOAD = {  # the body /predict reads, parsed by hand (in memory, in a worker): described for /docs
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary", "description": "a picture file"}},
                "required": ["image"],
            }
        }
    },
}
ANSWERS: dict[int | str, dict] = {
    200: {"model": Record, "description": "each model's digit and most likely digits"},
    400: {"model": Problem, "description": "not one digit, not a picture, or not multipart with a field 'image'"},
    413: {"model": Problem, "description": TOO_LARGE},
    503: {"model": Problem, "description": "the worker processes stopped"},
}


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before they are read: by Content-Length when it is declared, and
    by counting the bytes as they arrive when it is not."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, counted, send)


def page(models: dict[str, list[str]]) -> str:
    text = resources.files("mnist_numpy_vs_torch.recognition").joinpath("static/index.html").read_text("utf-8")
    return text.replace("__MODELS__", html.escape(json.dumps(models), quote=True))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The worker processes, started before the first request (in a thread: loading takes seconds) and ended
    with the app."""
    settings = app.state.settings or Settings.from_environment()
    pool = await asyncio.to_thread(workers.start, settings.source, settings.workers)
    app.state.workers = pool
    app.state.page = page(settings.models())
    app.state.health = Health(
        status="ok", seed=settings.source["seed"], models=settings.models(), workers=settings.workers
    )
    log.info("seed %d models loaded in %d worker processes", settings.source["seed"], settings.workers)
    try:
        yield
    finally:
        pool.shutdown(cancel_futures=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The page and the API. Without `settings`, the lifespan reads them from the environment when it starts."""
    app = FastAPI(
        title="MNIST: NumPy vs PyTorch",
        description="Draw or upload a digit: the NumPy and PyTorch models' answers.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")  # the traceback stays in the server's log, never in the answer
        return JSONResponse({"detail": "the server could not classify this picture"}, status_code=500)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> str:
        return request.app.state.page

    @app.get("/healthz")
    async def healthz(request: Request) -> Health:
        """Which models answer (seed, architectures and their frameworks) and how many worker processes."""
        return request.app.state.health

    @app.post("/predict", response_model=None, responses=ANSWERS, openapi_extra={"requestBody": UPLOAD})
    async def predict(request: Request) -> JSONResponse:
        """Classify one picture (any format Pillow reads), sent as the multipart form field `image`."""
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise HTTPException(400, "send the picture as multipart/form-data, in the form field 'image'")
        body = await request.body()
        loop = asyncio.get_running_loop()
        try:
            record = await loop.run_in_executor(request.app.state.workers, workers.answer, content_type, body)
        except PipelineError as error:
            raise HTTPException(400, str(error)) from error
        except BrokenProcessPool as error:
            raise HTTPException(503, "the worker processes stopped: restart the server") from error
        return JSONResponse(record)

    return app


app = create_app()
