"""The IDX reader on small synthetic files, good and malformed."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from mnist_numpy_vs_torch.data import idx


def images_bytes(count: int = 3) -> bytes:
    pixels = np.arange(count * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(count, 28, 28)
    return idx.encode(pixels)


def write_gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


def test_round_trip_images_and_labels(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3, 7], dtype=np.uint8)
    idx.write(tmp_path / "images.gz", images)
    idx.write(tmp_path / "labels.gz", labels)
    np.testing.assert_array_equal(idx.read_images(tmp_path / "images.gz"), images)
    np.testing.assert_array_equal(idx.read_labels(tmp_path / "labels.gz"), labels)


def test_header_is_big_endian_with_the_mnist_magic_numbers() -> None:
    assert idx.encode(np.zeros((2, 28, 28), np.uint8))[:8] == struct.pack(">II", idx.IMAGES_MAGIC, 2)
    assert idx.encode(np.zeros(4, np.uint8))[:8] == struct.pack(">II", idx.LABELS_MAGIC, 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (struct.pack(">I", 0x00000903) + struct.pack(">3I", 1, 28, 28) + bytes(784), "bad magic number 0x00000903"),
        (images_bytes()[:-1], "header says 3x28x28"),
        (images_bytes() + b"\0", "but the file holds"),
        (struct.pack(">I", idx.IMAGES_MAGIC) + b"\0\0", "file ends at byte 6"),
    ],
)
def test_malformed_image_files_are_refused_naming_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(data) if data else b"")
    with pytest.raises(idx.IdxFormatError, match=message) as error:
        idx.read_images(path)
    assert str(path) in str(error.value)


def test_not_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.gz"
    path.write_bytes(images_bytes())
    with pytest.raises(idx.IdxFormatError, match="not a valid gzip stream"):
        idx.read(path)


def test_truncated_gzip_stream_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(images_bytes())[:-20])
    with pytest.raises(idx.IdxFormatError, match="not a valid gzip stream"):
        idx.read(path)


def test_wrong_image_dimensions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "small.gz"
    idx.write(path, np.zeros((2, 27, 28), np.uint8))
    with pytest.raises(idx.IdxFormatError, match=r"expected images of shape \(N, 28, 28\)"):
        idx.read_images(path)


def test_label_out_of_range_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "labels.gz"
    idx.write(path, np.array([1, 2, 10, 3], np.uint8))
    with pytest.raises(idx.IdxFormatError, match="label 10 at index 2 is outside 0..9"):
        idx.read_labels(path)


def test_images_file_given_as_labels_is_refused(tmp_path: Path) -> None:
    path = write_gz(tmp_path / "images.gz", images_bytes())
    with pytest.raises(idx.IdxFormatError, match="expected a 1-dimensional label file"):
        idx.read_labels(path)
