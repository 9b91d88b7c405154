"""The page's server as a FastAPI app: any ASGI server runs it (uvicorn here, as a deployer would), it says which
models it loaded, it describes its API, and its worker processes start and end with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from mnist_numpy_vs_torch.recognition.workers import default_count
from tests.recognition.serving import SEVEN, UVICORN, drawing, ended, post, serving, worker_processes

pytestmark = pytest.mark.slow

BOTH = ["numpy", "torch"]


def test_uvicorn_serves_the_same_page_health_docs_and_answers_and_its_workers_end_with_it(
    workspace: Path, server_temp: Path, server: str
) -> None:
    with serving(workspace, server_temp, command=UVICORN) as (process, url):
        workers = worker_processes(process.pid)
        assert len(workers) == default_count()
        assert requests.get(url, timeout=10).text == requests.get(server, timeout=10).text, "mnist-predict's page"
        health = requests.get(url + "healthz", timeout=10)
        assert health.json() == {
            "status": "ok",
            "seed": 0,
            "models": {"cnn": BOTH, "mlp": BOTH},
            "workers": default_count(),
        }
        assert requests.get(url + "docs", timeout=10).status_code == 200
        spec = requests.get(url + "openapi.json", timeout=10).json()["paths"]["/predict"]["post"]
        body = spec["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert body["properties"]["image"] == {"type": "string", "format": "binary", "description": "a picture file"}
        assert {"200", "400", "413"} <= set(spec["responses"])
        answer = post(url, drawing(SEVEN))
        assert answer.status_code == 200 and answer.json()["predictions"]["cnn"]["torch"]["digit"] == 7
        process.terminate()
        process.wait(timeout=20)
    left = ended(workers)
    assert not left, f"still running after uvicorn stopped: {left}"


def test_workers_1_gives_one_worker_process(workspace: Path, server_temp: Path) -> None:
    with serving(workspace, server_temp, "--workers", "1", "--arch", "cnn") as (process, url):
        assert len(worker_processes(process.pid)) == 1
        assert requests.get(url + "healthz", timeout=10).json()["workers"] == 1
        assert requests.get(url + "healthz", timeout=10).json()["models"] == {"cnn": BOTH}
        assert post(url, drawing(SEVEN)).json()["predictions"]["cnn"]["numpy"]["digit"] == 7
