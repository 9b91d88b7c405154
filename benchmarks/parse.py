"""The parse stage's work (decode, split, facts, save) against bare gzip decompression of the same files."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from benchmarks.common import Context, Row, best_seconds
from mnist_numpy_vs_torch.data import dataset

TARGET = 1.5


def run(context: Context, repeats: int = 5) -> dict:
    """The parse stage's work (decode, split, facts, save) against bare gzip decompression of the same files."""
    raw_dir = context.raw_dir
    files = sorted(raw_dir.glob("*.gz"))
    gzip_seconds = best_seconds(lambda: [gzip.decompress(f.read_bytes()) for f in files], repeats)
    with tempfile.TemporaryDirectory() as out:

        def parse_stage() -> None:
            splits = dataset.prepare(raw_dir, context.params.parse.val_size, context.params.parse.seed)
            dataset.save(Path(out), splits, dataset.facts(splits))

        parse_seconds = best_seconds(parse_stage, repeats)
    return {
        "parse": {
            "gzip_seconds": gzip_seconds,
            "parse_seconds": parse_seconds,
            "parse_over_gzip": parse_seconds / gzip_seconds,
        }
    }


def rows(results: dict) -> list[Row]:
    p = results["parse"]
    value = f"{p['parse_seconds']:.3f} s / {p['gzip_seconds']:.3f} s = {p['parse_over_gzip']:.2f}"
    return [("parse / gzip floor", value, f"<= {TARGET}")]
