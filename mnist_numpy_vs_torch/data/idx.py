"""The IDX file format of MNIST (gzip-compressed): the one place that reads and writes it.

An IDX file is a big-endian header, then the data row by row:
    bytes 0-1  zero
    byte  2    element type (0x08 = unsigned byte, the only one MNIST uses)
    byte  3    number of dimensions
    then one uint32 per dimension, then prod(dims) elements.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE, NUM_CLASSES
from mnist_numpy_vs_torch.errors import IdxFormatError

UBYTE = 0x08
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


def decode(data: bytes, name: str) -> np.ndarray:
    """Decode uncompressed IDX bytes into a read-only uint8 array shaped as the header says."""
    if len(data) < 4:
        raise IdxFormatError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero, element_type, ndim = struct.unpack_from(">HBB", data)
    if zero != 0 or element_type != UBYTE or ndim == 0:
        magic = struct.unpack_from(">I", data)[0]
        raise IdxFormatError(f"{name}: bad magic number 0x{magic:08x} (expected unsigned-byte IDX, 0x000008NN)")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(f"{name}: header declares {ndim} dimensions but the file ends at byte {len(data)}")
    dims = struct.unpack_from(f">{ndim}I", data, 4)
    expected = header_size + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        shape = "x".join(map(str, dims))
        raise IdxFormatError(
            f"{name}: header says {shape} bytes of data ({expected} bytes in all) but the file holds {len(data)}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def read(path: str | Path) -> np.ndarray:
    """Read a gzip-compressed IDX file; any fault is an IdxFormatError naming the file."""
    path = Path(path)
    try:
        compressed = path.read_bytes()
    except OSError as error:
        raise IdxFormatError(f"{path}: cannot read ({error.strerror})") from error
    if not compressed:
        raise IdxFormatError(f"{path}: empty file")
    try:
        data = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as error:
        raise IdxFormatError(f"{path}: not a valid gzip stream ({error})") from error
    return decode(data, str(path))


def read_images(path: str | Path) -> np.ndarray:
    """Read an MNIST image file: (count, 28, 28) uint8."""
    images = read(path)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise IdxFormatError(f"{path}: expected images of shape (N, {IMAGE_SIDE}, {IMAGE_SIDE}), got {images.shape}")
    return images


def read_labels(path: str | Path) -> np.ndarray:
    """Read an MNIST label file: (count,) uint8 with values 0..9."""
    labels = read(path)
    if labels.ndim != 1:
        raise IdxFormatError(f"{path}: expected a 1-dimensional label file, got shape {labels.shape}")
    if labels.size and labels.max() >= NUM_CLASSES:
        position = int(np.argmax(labels >= NUM_CLASSES))
        raise IdxFormatError(f"{path}: label {labels[position]} at index {position} is outside 0..{NUM_CLASSES - 1}")
    return labels


def encode(array: np.ndarray) -> bytes:
    """Encode a uint8 array as uncompressed IDX bytes."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX encoding here supports uint8 only, got {array.dtype}")
    header = struct.pack(f">HBB{array.ndim}I", 0, UBYTE, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write(path: str | Path, array: np.ndarray) -> None:
    """Write `array` as a gzip-compressed IDX file (used to build test fixtures)."""
    Path(path).write_bytes(gzip.compress(encode(array), mtime=0))
