"""Fetch the four MNIST files from mirrors, each verified against its pinned SHA-256 before it is accepted.

A file is streamed to a temporary name beside its destination and renamed into place only once its checksum
matches, so an unverified or partial file never stands at the output path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

from mnist_numpy_vs_torch.atomic import atomic_write
from mnist_numpy_vs_torch.data import mnist
from mnist_numpy_vs_torch.errors import DownloadError, first_line

log = logging.getLogger(__name__)

MIRROR_ENV = "MNIST_MIRROR"
CHUNK_BYTES = 1 << 20
MAX_REDIRECTS = 5


class ChecksumMismatch(Exception):
    """The bytes arrived but are not the file we pinned; retrying the same source will not help."""


@dataclass(frozen=True)
class RetryPolicy:
    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_seconds: float = 1.0


def sources(mirrors: Sequence[str], environ: dict[str, str] | None = None) -> list[str]:
    """The sources to try in order: $MNIST_MIRROR first when set, then the configured mirrors."""
    environ = os.environ if environ is None else environ
    override = environ.get(MIRROR_ENV, "").strip()
    return ([override] if override else []) + [m for m in mirrors if m != override]


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch_all(
    destination: Path, mirrors: Sequence[str], policy: RetryPolicy, files: dict[str, str] = mnist.SHA256
) -> None:
    """Make `destination` hold every file in `files`, verified; raise DownloadError if any cannot be had."""
    destination.mkdir(parents=True, exist_ok=True)
    candidates = sources(mirrors)
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        for name, sha256 in files.items():
            fetch(name, sha256, candidates, destination, policy, session)


def fetch(
    name: str,
    sha256: str,
    candidates: Sequence[str],
    destination: Path,
    policy: RetryPolicy,
    session: requests.Session | None = None,
) -> Path:
    """Put the verified file `name` at destination/name, trying each source in turn."""
    target = destination / name
    if target.exists() and file_sha256(target) == sha256:
        log.info("%s: already present and verified", name)
        return target
    session = session or requests.Session()
    failures: list[str] = []
    for source in candidates:
        if is_url(source):
            error = _fetch_url(f"{source.rstrip('/')}/{name}", sha256, target, policy, session)
        else:
            error = _copy_local(Path(source.removeprefix("file://")) / name, sha256, target)
        if error is None:
            log.info("%s: verified, from %s", name, source)
            return target
        failures.append(f"{source} ({error})")
    raise DownloadError(f"{name}: every source failed: " + "; ".join(failures))


def _fetch_url(url: str, sha256: str, target: Path, policy: RetryPolicy, session: requests.Session) -> str | None:
    """Download with retries and exponential backoff; return None on success, else why it failed."""
    error = "not tried"
    for attempt in range(policy.retries + 1):
        if attempt:
            time.sleep(policy.backoff_seconds * 2 ** (attempt - 1))
        try:
            _stream_verified(url, sha256, target, policy.timeout_seconds, session)
            return None
        except ChecksumMismatch as mismatch:
            return str(mismatch)
        except requests.HTTPError as http_error:
            error = f"HTTP {http_error.response.status_code}"
            if http_error.response.status_code in (401, 403, 404, 410):
                return error
        except requests.Timeout:
            error = f"timed out after {policy.timeout_seconds:g} s"
        except requests.TooManyRedirects:
            return f"more than {MAX_REDIRECTS} redirects"
        except requests.RequestException as request_error:
            error = type(request_error).__name__ + _detail(request_error)
        log.warning("%s: attempt %d of %d failed: %s", url, attempt + 1, policy.retries + 1, error)
    return error


def _stream_verified(url: str, sha256: str, target: Path, timeout: float, session: requests.Session) -> None:
    with session.get(url, stream=True, timeout=(timeout, timeout)) as response:
        response.raise_for_status()
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else None
        digest = hashlib.sha256()
        received = 0
        with (
            atomic_write(target) as out,
            tqdm(total=total, unit="B", unit_scale=True, desc=target.name, disable=not sys.stderr.isatty()) as progress,
        ):
            for chunk in response.iter_content(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                progress.update(len(chunk))
            if total is not None and received != total:
                raise requests.ConnectionError(f": body ended after {received} of {total} bytes")
            _check_digest(digest.hexdigest(), sha256, received)


def _copy_local(path: Path, sha256: str, target: Path) -> str | None:
    if not path.is_file():
        return "no such file"
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source, atomic_write(target) as out:
            while chunk := source.read(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
            _check_digest(digest.hexdigest(), sha256, path.stat().st_size)
    except ChecksumMismatch as mismatch:
        return str(mismatch)
    return None


def _check_digest(actual: str, expected: str, size: int) -> None:
    if actual != expected:
        raise ChecksumMismatch(f"SHA-256 {actual[:12]}… of {size} bytes, expected {expected[:12]}…")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _detail(error: Exception) -> str:
    """A colon and the first line of the message, cut short; nothing when the error has no message."""
    return f": {first_line(error)[:160]}" if str(error).strip() else ""
