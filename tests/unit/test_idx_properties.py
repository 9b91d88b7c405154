"""Property-based: whatever is wrong with an IDX file, reading it is an IdxFormatError naming the file and the fault,
never a crash, a wrong array or a silent success."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnist_numpy_vs_torch.data import idx

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def images(count: int) -> np.ndarray:
    return np.arange(count * 784, dtype=np.uint32).astype(np.uint8).reshape(count, 28, 28)


def read_bytes_as_file(data: bytes, compress: bool = True) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.gz"
        path.write_bytes(gzip.compress(data) if compress else data)
        with pytest.raises(idx.IdxFormatError) as error:
            idx.read_images(path)
        message = str(error.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        return message


@SETTINGS
@given(count=st.integers(1, 4), cut=st.integers(1, 4 * 784 + 15))
def test_truncated_image_files_are_refused(count: int, cut: int) -> None:
    data = idx.encode(images(count))
    message = read_bytes_as_file(data[: max(0, len(data) - cut)])
    assert any(word in message for word in ("header says", "too short", "file ends at byte", "empty", "bad magic"))


@SETTINGS
@given(magic=st.integers(0, 2**32 - 1).filter(lambda m: m >> 8 != 0x08 or m & 0xFF == 0))
def test_wrong_magic_numbers_are_refused(magic: int) -> None:
    data = struct.pack(">I", magic) + idx.encode(images(1))[4:]
    assert f"bad magic number 0x{magic:08x}" in read_bytes_as_file(data)


@SETTINGS
@given(count=st.integers(0, 3), declared=st.integers(0, 2**31), side=st.sampled_from([27, 28, 29]))
def test_counts_or_dimensions_that_disagree_with_the_data_are_refused(count: int, declared: int, side: int) -> None:
    header = struct.pack(">I3I", idx.IMAGES_MAGIC, declared, side, 28)
    if declared == count and side == 28:
        declared += 1
        header = struct.pack(">I3I", idx.IMAGES_MAGIC, declared, side, 28)
    message = read_bytes_as_file(header + bytes(count * 784))
    assert "header says" in message or "expected images of shape" in message


@SETTINGS
@given(labels=st.lists(st.integers(0, 255), min_size=1, max_size=50).filter(lambda v: max(v) >= 10))
def test_labels_of_ten_or_more_are_refused(labels: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.gz"
        idx.write(path, np.array(labels, dtype=np.uint8))
        with pytest.raises(idx.IdxFormatError, match=r"label \d+ at index \d+ is outside 0..9"):
            idx.read_labels(path)


@SETTINGS
@given(position=st.integers(10, 200), garbage=st.binary(min_size=1, max_size=8))
def test_corrupt_gzip_streams_are_refused(position: int, garbage: bytes) -> None:
    compressed = bytearray(gzip.compress(idx.encode(images(2))))
    position = min(position, len(compressed) - 9)
    compressed[position : position + len(garbage)] = bytes(b ^ 0xA5 for b in garbage)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corrupt.gz"
        path.write_bytes(bytes(compressed))
        try:
            array = idx.read_images(path)
        except idx.IdxFormatError as error:
            assert str(error).startswith(f"{path}: ")
        else:  # a flipped byte the CRC cannot see is impossible; anything read must be the real data
            assert np.array_equal(array, images(2))
