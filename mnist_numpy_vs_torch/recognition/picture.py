"""Turning a person's picture of a digit into an MNIST-style 28x28 image: the one place that knows how.

MNIST's digits are light, saturated strokes on black, about 2.6 pixels wide, size-normalised into a 20x20 box and
centred by their centre of mass in 28x28. A phone photo is none of that: large, maybe stored sideways with an EXIF
tag, paper anywhere from white to mid-gray under uneven light, a pen stroke a tenth of MNIST's relative width or a
marker twice it, soft gray ink, out of focus or scanned coarsely, ruled lines and specks around the digit. Nothing
below asks for sharp strokes or black ink. The steps undo each of those, in order:

1. decode upright (EXIF orientation) at a working size of at most WORKING_SIDE pixels (JPEGs decode reduced);
2. estimate the paper's colour region by region (extended linearly to the picture's edges, which follows a
   vignette), and measure ink as the departure from it, darker or lighter, in whichever colour channel departs
   most, as a fraction of the paper's typical brightness: dim paper is still paper, coloured and light ink still ink;
3. threshold that relative to the picture's own paper and ink (ink_threshold), and keep the digit: the largest
   mark that does not touch the picture's edge, with the marks near it (within half the digit's size); small marks
   away from it (specks) and long thin ones (ruled lines) are dropped, and a second separate mark of similar size
   is an error;
4. strokes of MNIST's width or more keep their shape, scaled so their cores saturate; a fine pen is redrawn at
   MNIST's width (its skeleton, then a round pen of that width);
5. MNIST's own 20x20 box, anti-aliased, and centre of mass in 28x28.
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage
from skimage.morphology import skeletonize

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE
from mnist_numpy_vs_torch.errors import ImageInputError

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; beyond it, refuse rather than decode a bomb
WORKING_SIDE = 640  # the longer side a picture is worked on: a pen stroke stays several pixels wide
BOX = 20
FRAME = IMAGE_SIDE
MNIST_STROKE = 0.13  # MNIST's median stroke width (binarised at half intensity) over its 20-pixel box side
PAPER_BLOCKS = 6  # the paper's colour is estimated in about this many blocks along the longer side
MIN_INK = 0.4  # strong ink's marks depart at least this much from the paper (a fraction of the way to black or
# white); pale ruled lines depart about 0.35 in their darkest channel, pen ink 0.8-0.9, soft gray ink 0.3-0.6
MIN_SIGNAL = 0.03  # the faintest ink taken for a digit, whatever the noise
SIGNAL_TO_NOISE = 6.0
NEAR = 0.5  # marks within this fraction of the digit's size from it belong to it (the bar of a 5, a 4's stroke)
SIMILAR = 0.35  # a separate mark with at least this fraction of the digit's ink makes the picture ambiguous


def decode_picture(data: bytes, name: str) -> np.ndarray:
    """The bytes of an image file -> float32 RGB (h, w, 3) in 0..1, upright by its EXIF orientation, transparency
    composited on white, at most WORKING_SIDE on its longer side. Any fault is one ImageInputError naming `name`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageInputError(
                        f"{name}: {width}x{height} pixels is over the limit of {MAX_PIXELS:,} (decompression bomb?)"
                    )
                scale = WORKING_SIDE / max(width, height)
                if scale < 1:  # a JPEG then decodes straight at 1/2, 1/4 or 1/8 size: most of the time saved
                    image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
                upright = ImageOps.exif_transpose(image)
                upright.load()
                rgba = upright.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageInputError(f"{name}: too many pixels ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageInputError(f"{name}: not an image Pillow can read") from error
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, ZeroDivisionError) as error:
        raise ImageInputError(f"{name}: cannot read the image ({_first_line(error)})") from error
    rgba.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    return np.asarray(rgb, dtype=np.float32) / 255.0


def load_picture(path: str | Path) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise ImageInputError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImageInputError(f"{path}: cannot read ({error.strerror})") from error
    return decode_picture(data, str(path))


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


def paper_colour(rgb: np.ndarray, percentile: float) -> np.ndarray:
    """The paper's colour at every pixel of an (h, w, channels) picture: a percentile of each block, on the
    paper's side of the ink (a high one under dark ink), so it is paper even where strokes cover most of a block;
    interpolated linearly between block centres and beyond them, which follows a light gradient and a vignette."""
    height, width, channels = rgb.shape
    side = max(1, round(max(height, width) / PAPER_BLOCKS))
    rows, cols = max(1, round(height / side)), max(1, round(width / side))
    row_edges = np.linspace(0, height, rows + 1).astype(int)
    col_edges = np.linspace(0, width, cols + 1).astype(int)
    blocks = np.array(
        [
            [
                np.percentile(rgb[r0:r1, c0:c1].reshape(-1, channels), percentile, axis=0)
                for c0, c1 in itertools.pairwise(col_edges)
            ]
            for r0, r1 in itertools.pairwise(row_edges)
        ],
        dtype=np.float32,
    )
    # Each block's value sits at its centre; between centres it is blended linearly, and beyond the outer centres
    # extended along the same slope, so a vignette's dark corners stay paper. Separable: (h, rows) @ blocks @ (cols, w).
    down = _linear_weights(row_edges, height)
    across = _linear_weights(col_edges, width)
    return np.einsum("hr,rck,wc->hwk", down, blocks, across, optimize=True).astype(np.float32)


def _linear_weights(edges: np.ndarray, length: int) -> np.ndarray:
    """(length, blocks) weights that interpolate values at the blocks' centres linearly to every position, and
    extrapolate them linearly past the first and last centre."""
    centres = (edges[:-1] + edges[1:] - 1) / 2
    count = len(centres)
    weights = np.zeros((length, count), np.float32)
    if count == 1:
        weights[:, 0] = 1
        return weights
    positions = np.arange(length)
    left = np.clip(np.searchsorted(centres, positions, side="right") - 1, 0, count - 2)
    fraction = (positions - centres[left]) / (centres[left + 1] - centres[left])
    weights[positions, left] = 1 - fraction
    weights[positions, left + 1] = fraction
    return weights


def ink_is_dark(rgb: np.ndarray) -> bool:
    """Whether the marks are darker than the paper: the paper is most of the picture, so its trend (block medians,
    which follow a light gradient and a vignette); the marks are the tail that reaches furthest from it, measured
    after a 3x3 mean so that pixel noise does not count as a mark."""
    lightness = rgb.mean(axis=2)
    trend = paper_colour(lightness[..., None], 50)[..., 0]
    residual = ndimage.uniform_filter(lightness - trend, 3)
    low, high = np.percentile(residual, [0.1, 99.9])
    return -low >= high


def ink_strength(rgb: np.ndarray) -> np.ndarray:
    """How far each pixel departs from the paper towards the ink, 0 (paper) to 1 (black ink on white, or white on
    black), in the colour channel that departs most: dim paper is still paper, coloured ink is still ink."""
    if ink_is_dark(rgb):
        paper = paper_colour(rgb, 90)
        return np.clip(((paper - rgb) / max(float(np.median(paper)), 0.05)).max(axis=2), 0.0, 1.0)
    paper = paper_colour(rgb, 10)
    return np.clip(((rgb - paper) / max(1.0 - float(np.median(paper)), 0.05)).max(axis=2), 0.0, 1.0)


def ink_threshold(ink: np.ndarray, name: str) -> float:
    """Where marks begin, relative to this picture's own paper and ink: the paper is the bulk of the pixels (its
    level the median, its noise that of neighbouring pixels' differences), the ink the top 0.1%. The threshold is
    Otsu's, kept between 35% and 60% of the way from paper to ink, so a soft, blurred or gray digit keeps its whole
    strokes (about its half-maximum width); strong ink keeps MIN_INK as a floor, which leaves pale ruled lines out.
    A picture whose ink does not stand SIGNAL_TO_NOISE times its noise above the paper has none."""
    paper = float(np.median(ink))
    # pixel noise, from neighbours' differences: robust to a digit that fills much of the picture
    noise = 1.4826 * float(np.median(np.abs(np.diff(ink, axis=1)))) / math.sqrt(2)
    peak = float(np.percentile(ink, 99.9))
    signal = peak - paper
    if signal < max(MIN_SIGNAL, SIGNAL_TO_NOISE * noise):
        raise ImageInputError(
            f"{name}: no ink found (nothing stands out from the paper: {signal:.2f} against noise {noise:.2f})"
        )
    relative = float(np.clip(otsu_threshold(ink), paper + 0.35 * signal, paper + 0.6 * signal))
    return max(relative, min(MIN_INK, 0.5 * peak))


def digit_mask(ink: np.ndarray, name: str) -> np.ndarray:
    """The marks that make up the digit, as a boolean mask; specks, ruled lines and the picture's edge dropped."""
    threshold = ink_threshold(ink, name)
    marks = ink > threshold
    height, width = marks.shape
    labels, count = ndimage.label(marks, structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(labels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    inside, on_edge, lines = [], [], []
    for index, box in enumerate(boxes):
        top, bottom, left, right = box[0].start, box[0].stop, box[1].start, box[1].stop
        across, down = right - left, bottom - top
        if (across > 6 * down and down <= max(4, height // 100)) or (down > 8 * across and down > 0.8 * height):
            lines.append(index)  # a ruled line or a piece of one (horizontal once upright), or a margin line
            continue
        touches = top == 0 or left == 0 or bottom == height or right == width
        (on_edge if touches else inside).append(index)
    # The page's edge, a shadow, a dark corner touch the picture's edge; a digit seldom does, but a drawing may.
    candidates = inside or on_edge
    if not candidates:
        raise ImageInputError(f"{name}: no digit found (only line-shaped marks)")
    digit = max(candidates, key=lambda i: areas[i])
    size = max(boxes[digit][0].stop - boxes[digit][0].start, boxes[digit][1].stop - boxes[digit][1].start)
    if areas[digit] < 20 or size < 8:
        raise ImageInputError(f"{name}: no digit found (the largest mark is {size} pixels across)")
    members, rivals = [digit], []
    for index in candidates:
        if index == digit:
            continue
        gap = _gap(boxes[index], boxes[digit])
        if gap <= NEAR * size and (areas[index] >= 0.05 * areas[digit] or gap <= 0.05 * size):
            members.append(index)  # the bar of a 5, the stroke of a 4 lifted off the paper; not a speck
        elif areas[index] >= SIMILAR * areas[digit]:
            rivals.append(index)
    for index in lines:  # a thin horizontal stroke of the digit itself (a 7's bar) stays; a ruled line goes on
        box, own = boxes[index], boxes[digit]
        overhang = max(own[1].start - box[1].start, box[1].stop - own[1].stop, 0)
        if _gap(box, own) <= 0.1 * size and overhang <= 0.25 * size:
            members.append(index)
    if rivals:
        raise ImageInputError(
            f"{name}: {len(rivals) + 1} separate marks of similar size; crop the picture to the one digit"
        )
    return np.isin(labels, np.array(members) + 1)


def _gap(a: tuple[slice, slice], b: tuple[slice, slice]) -> int:
    """The distance between two bounding boxes, 0 when they overlap."""
    dy = max(a[0].start - b[0].stop, b[0].start - a[0].stop, 0)
    dx = max(a[1].start - b[1].stop, b[1].start - a[1].stop, 0)
    return max(dy, dx)


def mnist_strokes(mask: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The digit's strokes at MNIST's width and contrast, cropped to the digit (with a margin), float 0..1.

    A stroke width near MNIST's (its ink area over its skeleton's length, against MNIST_STROKE of the digit's
    larger side) or a thicker one keeps its own shape and anti-aliased edges, with the ink scaled so that the cores
    saturate (a marker's blurred strokes read better whole than as a skeleton). A pen line much finer than MNIST's
    is redrawn: its skeleton, thickened to MNIST's width with a round pen.
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    target = MNIST_STROKE * max(crop.shape)
    margin = int(np.ceil(target))
    padded = np.pad(crop, margin)
    skeleton = skeletonize(padded)
    width = crop.sum() / max(int(skeleton.sum()), 1)
    if 0.6 * target <= width:
        # the ink itself, over the marks and a pixel around them: their anti-aliased edges stay
        near = ndimage.binary_dilation(padded, iterations=1)
        strength = np.pad(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], margin) * near
        core = np.percentile(strength[padded], 75)
        return np.clip(strength / max(core, 1e-6), 0.0, 1.0).astype(np.float32)
    return (ndimage.distance_transform_edt(~skeleton) <= target / 2).astype(np.float32)


def to_mnist(picture: np.ndarray, name: str = "image") -> np.ndarray:
    """A picture (RGB (h, w, 3) or grayscale (h, w), 0..1, 0 = black) -> a 28x28 uint8 digit in MNIST's style."""
    rgb = np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture
    ink = ink_strength(rgb.astype(np.float32))
    strokes = mnist_strokes(digit_mask(ink, name), ink)
    rows, cols = np.flatnonzero(strokes.any(axis=1)), np.flatnonzero(strokes.any(axis=0))
    digit = strokes[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

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
    return np.round(np.clip(frame, 0.0, 1.0) * 255).astype(np.uint8)


def load_digit(path: str | Path) -> np.ndarray:
    """A picture file -> the 28x28 uint8 MNIST-style digit the models see."""
    return to_mnist(load_picture(path), str(path))


def decode_digit(data: bytes, name: str) -> np.ndarray:
    """The bytes of a picture file -> the 28x28 uint8 MNIST-style digit the models see."""
    return to_mnist(decode_picture(data, name), name)
