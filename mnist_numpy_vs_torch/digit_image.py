"""Turning a person's picture of a digit into an MNIST-style 28x28 image: the one place that knows how.

MNIST's digits were size-normalised to fit a 20x20 box, keeping their aspect ratio and anti-aliased, then
placed in a 28x28 frame with their centre of mass at the centre, light ink on a dark background. We do the same to
a photo, scan or drawing: grayscale, ink made light, background noise removed, cropped, scaled, centred.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_numpy_vs_torch.errors import ImageInputError
from mnist_numpy_vs_torch.mnist import IMAGE_SIDE

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; beyond it, refuse rather than decode a bomb
BOX = 20
FRAME = IMAGE_SIDE


def load_grayscale(path: str | Path) -> np.ndarray:
    """Any image file Pillow reads -> float32 (h, w) in 0..1 (0 = black); transparency composited on white."""
    path = Path(path)
    if not path.is_file():
        raise ImageInputError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImageInputError(f"{path}: cannot read ({error.strerror})") from error
    return decode_grayscale(data, str(path))


def decode_grayscale(data: bytes, name: str) -> np.ndarray:
    """The bytes of an image file -> float32 (h, w) in 0..1 (0 = black); any fault is one ImageInputError naming
    `name`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageInputError(
                        f"{name}: {width}x{height} pixels is over the limit of {MAX_PIXELS:,} (decompression bomb?)"
                    )
                image.load()
                rgba = image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageInputError(f"{name}: too many pixels ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageInputError(f"{name}: not an image Pillow can read") from error
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as error:  # what Pillow raises on damage
        raise ImageInputError(f"{name}: cannot read the image ({_first_line(error)})") from error
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flattened = Image.alpha_composite(white, rgba).convert("L")
    return np.asarray(flattened, dtype=np.float32) / 255.0


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def otsu_threshold(values: np.ndarray) -> float:
    """The threshold that best separates two groups of values in 0..1 (Otsu, 1979), from a 256-bin histogram."""
    histogram = np.bincount(np.clip(values * 255, 0, 255).astype(np.int64).ravel(), minlength=256).astype(float)
    weight = np.cumsum(histogram)
    total = weight[-1]
    mean = np.cumsum(histogram * np.arange(256))
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-12)
    return (int(np.argmax(between)) + 0.5) / 255.0


def to_mnist(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """A grayscale picture (0 = black) -> a 28x28 uint8 digit in MNIST's style (light ink on black)."""
    ink = 1.0 - gray if np.median(gray) > 0.5 else gray.copy()  # the background is the majority of pixels
    threshold = otsu_threshold(ink)
    if ink.max() - ink.min() < 0.1:
        raise ImageInputError(f"{name}: no ink found (the picture is almost uniform)")
    ink = np.where(ink > threshold, ink, 0.0).astype(np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise ImageInputError(f"{name}: no ink found")
    digit = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    height, width = digit.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit, mode="F").resize(size, Image.Resampling.LANCZOS)
    small = np.clip(np.asarray(resized, dtype=np.float32), 0.0, None)
    small /= max(float(small.max()), 1e-6)

    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    ys, xs = np.indices(small.shape)
    mass = small.sum()
    centre_y, centre_x = (ys * small).sum() / mass, (xs * small).sum() / mass
    top = int(np.clip(round(FRAME / 2 - centre_y), 0, FRAME - small.shape[0]))
    left = int(np.clip(round(FRAME / 2 - centre_x), 0, FRAME - small.shape[1]))
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.round(frame * 255).astype(np.uint8)


def load_digit(path: str | Path) -> np.ndarray:
    """A picture file -> the 28x28 uint8 MNIST-style digit the models see."""
    return to_mnist(load_grayscale(path), str(path))


def decode_digit(data: bytes, name: str) -> np.ndarray:
    """The bytes of a picture file -> the 28x28 uint8 MNIST-style digit the models see."""
    return to_mnist(decode_grayscale(data, name), name)
