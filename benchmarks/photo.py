"""Preparing a 12-megapixel phone photo of a digit for the models."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from benchmarks.common import Context, Row, best_seconds
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.recognition.picture import decode_digit

TARGET_SECONDS = 0.3


def run(context: Context, repeats: int = 5) -> dict:
    """Best-of-`repeats` seconds for `decode_digit` on a 4000x3000 (12-megapixel) colour JPEG of a digit (28x28
    uint8, MNIST's first test digit) on dim, uneven paper: decoding, orientation, ink, digit, strokes, 28x28."""
    digit = dataset.load_split(context.prepared_dir, "test").images[0]
    ink = np.asarray(Image.fromarray(digit).resize((1200, 1200), Image.Resampling.BICUBIC), np.float32) / 255
    ys, xs = np.mgrid[0:3000, 0:4000].astype(np.float32)
    paper = 0.45 * (1 + 0.3 * (xs / 4000 - 0.5)) * (1 - 0.5 * ((xs / 4000 - 0.5) ** 2 + (ys / 3000 - 0.5) ** 2))
    page = np.repeat(paper[..., None], 3, axis=2)
    page[900:2100, 1400:2600] *= (1 - 0.85 * ink)[..., None]
    buffer = io.BytesIO()
    Image.fromarray((page * 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=90)
    photo = buffer.getvalue()
    seconds = best_seconds(lambda: decode_digit(photo, "12-megapixel.jpg"), repeats, warm_up=True)
    return {"photo_preparation": {"pixels": "4000x3000", "jpeg_bytes": len(photo), "seconds": seconds}}


def rows(results: dict) -> list[Row]:
    seconds = results["photo_preparation"]["seconds"]
    return [("prepare a 12-megapixel photo (decode_digit)", f"{seconds:.3f} s", f"<= {TARGET_SECONDS} s")]
