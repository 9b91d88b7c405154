"""Turning a person's picture of a digit into an MNIST-style 28x28 image: the one place that knows how.

MNIST's digits are light strokes on black whose cores saturate, about 2.6 pixels wide, fitted into a 20x20 box and
centred by their centre of mass in 28x28. A person's picture may be MNIST's own 28x28 PNG, a photo of paper under
uneven light, a canvas drawing that fills its frame, dark ink or light chalk, a fine pen or a marker, soft or
noisy. Five steps, each for a reason the recognition oracle (oracle.py) or the generated photos show:

1. decode upright (EXIF orientation) at a working size of at most WORKING_SIDE pixels (JPEGs decode reduced);
2. ink, 0 on the paper (ink_strength): the paper is the colour of the picture's outer ring, where a digit at most
   touches; the ink lies on the side of it that the extreme pixels reach; the light across the paper is a smooth
   surface fitted to the pixels that are not ink (needed: dim, vignetted photos are 10% right without it);
3. the digit's marks (digit_marks): pixels with MARK of the strongest ink, in marks of at least KEEP of the largest
   one's area; a picture with no ink above its noise, or with several digits side by side, is refused;
4. strokes finer than THIN of MNIST's width are widened to it (mnist_width): a fine pen's line would otherwise be a
   faint pixel in 28x28;
5. the digit's ink, cropped with its faint edges, fitted into the 20x20 box, its cores saturated, centred by mass.

Nothing else: no refusal of a digit that touches the picture's edge or fills it, no rule tuned to one kind of
picture. The oracle's table by family is in docs/recognition.md.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage
from skimage.morphology import skeletonize

from mnist_numpy_vs_torch.data.mnist import IMAGE_SIDE
from mnist_numpy_vs_torch.errors import ImageInputError, first_line

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; beyond it, refuse rather than decode a bomb
WORKING_SIDE = 640  # the longer side a picture is worked on: a pen stroke stays several pixels wide
MIN_SIDE = 8  # a picture's shorter side, at least: MNIST's own digits are 20 pixels tall
BOX = 20  # MNIST's digits are fitted into a 20x20 box ...
FRAME = IMAGE_SIDE  # ... and centred by their centre of mass in 28x28
BORDER = 0.02  # the picture's outer ring, as a fraction of its longer side, whose median colour is the paper
TAIL = 0.1  # percent: the picture's extreme pixels, which say on which side of the paper the ink lies
SURFACE_SAMPLES = 20_000  # paper pixels the light's surface is fitted to, at most about
MARK = 0.35  # a pixel belongs to a mark where its ink reaches this fraction of the strongest ink: a blurred stroke
# stays whole down to below its half-maximum
MIN_SIGNAL = 0.03  # the faintest ink taken for a digit, whatever the noise
SIGNAL_TO_NOISE = 6.0  # and it must stand this many times the pixel noise above the paper
KEEP = 0.1  # marks of at least this fraction of the largest mark's area make the digit; smaller ones are specks
SEPARATE = 0.25  # groups of marks apart, each with at least this fraction of the largest group's ink, and ...
GAP = 0.25  # ... this fraction of the marks' height of empty columns between them: several digits
MNIST_STROKE = 0.13  # MNIST's median stroke width (binarised at half intensity) over its 20-pixel box's side
THIN = 0.6  # strokes thinner than this fraction of MNIST's are widened to it: a fine pen
CORE = 75  # percentile: the strokes' ink is scaled so that this share of them saturates, as MNIST's cores do


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
                        f"{name}: {width}x{height} pixels is over the limit of {MAX_PIXELS:,}; make it smaller"
                    )
                scale = WORKING_SIDE / max(width, height)
                if scale < 1:  # a JPEG then decodes straight at 1/2, 1/4 or 1/8 size: most of the time saved
                    image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
                upright = ImageOps.exif_transpose(image)
                upright.load()
                rgba = upright.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageInputError(f"{name}: too many pixels ({error}); make the picture smaller") from error
    except UnidentifiedImageError as error:
        raise ImageInputError(f"{name}: not an image Pillow can read; save it as PNG or JPEG") from error
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, ZeroDivisionError) as error:
        raise ImageInputError(
            f"{name}: cannot read the image ({first_line(error)}); is the file complete? Save it again"
        ) from error
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


def ink_strength(lightness: np.ndarray) -> np.ndarray:
    """How far each pixel's lightness departs from the paper's towards the ink, 0 on the paper: dark ink on light
    paper or light ink on a dark board, black or coloured, under even light or not.

    The paper is the median of the picture's outer ring (BORDER): a digit at most touches the picture's edge,
    however much of the picture it fills. The ink is on the side of it that the picture's extreme pixels reach
    furthest (after a 3x3 mean, so that noise does not decide). The light across the paper is a smooth surface,
    fitted to the pixels that are not ink (paper_surface). Lightness, the mean of the channels, keeps coloured ink
    (it is darker than paper) and leaves pale blue ruled lines faint."""
    height, width = lightness.shape
    ring = max(1, round(BORDER * max(height, width)))
    edge = np.ones((height, width), bool)
    edge[ring:-ring, ring:-ring] = False
    departure = lightness - np.median(lightness[edge])
    low, high = np.percentile(ndimage.uniform_filter(departure, 3), [TAIL, 100 - TAIL])
    dark = -low >= high  # the ink is darker than the paper
    ink = -departure if dark else departure
    paper_pixels = ink < 0.5 * MARK * float(np.percentile(ink, 100 - TAIL))
    surface = paper_surface(lightness, paper_pixels)
    return np.maximum(surface - lightness if dark else lightness - surface, 0.0)


def paper_surface(lightness: np.ndarray, paper_pixels: np.ndarray) -> np.ndarray:
    """The paper's lightness at every pixel, as the light falls on it: a quadratic surface in x and y,
    least-squares fitted to (at most about SURFACE_SAMPLES of) the paper's pixels. A light gradient and a vignette
    are smooth; strokes are not, and are left out of the fit."""
    height, width = lightness.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ys, xs = 2 * ys / max(height - 1, 1) - 1, 2 * xs / max(width - 1, 1) - 1
    terms = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=-1)  # (h, w, 6)
    step = max(1, int(np.sqrt(paper_pixels.sum() / SURFACE_SAMPLES)))
    chosen = paper_pixels[::step, ::step]
    if chosen.sum() < 4 * terms.shape[-1]:  # too little paper to fit a surface: its median
        return np.full_like(lightness, np.median(lightness[paper_pixels]) if paper_pixels.any() else 0.0)
    coefficients, *_ = np.linalg.lstsq(terms[::step, ::step][chosen], lightness[::step, ::step][chosen], rcond=None)
    return terms @ coefficients.astype(np.float32)


def digit_marks(ink: np.ndarray, name: str) -> np.ndarray:
    """The marks that make up the digit, as a boolean mask: every pixel whose ink reaches MARK of the strongest ink,
    in connected marks of at least KEEP of the largest one's area (smaller ones are specks). Refuses a picture with
    no ink standing out of its noise, and one with several digits side by side."""
    noise = 1.4826 * float(np.median(np.abs(np.diff(ink, axis=1)))) / math.sqrt(2)  # robust: the paper's noise
    signal = float(np.percentile(ink, 100 - TAIL))  # the paper is 0: ink is measured from it, whatever its share
    if signal < max(MIN_SIGNAL, SIGNAL_TO_NOISE * noise):
        raise ImageInputError(
            f"{name}: no ink found (nothing stands out from the paper: {signal:.2f} against noise {noise:.2f}); "
            "is a digit in the picture? Darker ink, more light or a closer photo helps"
        )
    labels, count = ndimage.label(ink > MARK * signal, structure=np.ones((3, 3)))
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    areas[0] = 0
    marks = areas[labels] >= KEEP * areas.max()
    digits = side_by_side(marks)
    if len(digits) > 1:
        raise ImageInputError(f"{name}: {len(digits)} digits side by side, it seems; give each digit its own picture")
    marks[:, : digits[0].start] = marks[:, digits[0].stop :] = False  # small marks apart from it: specks, stains
    return marks


def side_by_side(marks: np.ndarray) -> list[slice]:
    """The column ranges of the groups of marks that stand apart as digits would: each holds at least SEPARATE of the
    largest group's ink, across empty columns at least GAP of the marks' height wide from the next. A digit's own
    pieces (the bar of a 5, a broken stroke) are closer than that, or smaller."""
    rows = np.flatnonzero(marks.any(axis=1))
    gap = max(1, round(GAP * (rows[-1] - rows[0] + 1)))
    columns = marks.sum(axis=0)
    # close gaps narrower than GAP, then each run of inked columns is a group
    inked = ndimage.binary_closing(np.pad(columns > 0, gap), np.ones(gap, bool))[gap:-gap] | (columns > 0)
    groups = [run for (run,) in ndimage.find_objects(ndimage.label(inked)[0])]
    ink = [columns[run].sum() for run in groups]
    return [run for run, amount in zip(groups, ink) if amount >= SEPARATE * max(ink)]


def mnist_width(digit: np.ndarray, marks: np.ndarray, size: int) -> np.ndarray:
    """The digit's ink with strokes at least THIN of MNIST's width: a fine pen's line, which would be a faint
    pixel wide in 28x28, widened (a grey dilation with a disc) to MNIST_STROKE of the digit's size. The strokes'
    width is their area over their length, the skeleton's of the marks smoothed a pixel (a noisy edge's burrs would
    each add a branch)."""
    target = MNIST_STROKE * size
    smooth = ndimage.gaussian_filter(marks.astype(np.float32), 1.0) > 0.5
    width = smooth.sum() / max(int(skeletonize(smooth).sum()), 1)
    if width >= THIN * target:
        return digit
    radius = (target - width) / 2
    r = math.ceil(radius)  # room around the digit for the widened strokes
    return ndimage.grey_dilation(np.pad(digit, r), footprint=disc(radius))


def disc(radius: float) -> np.ndarray:
    """A round footprint for a grey dilation: the offsets (y, x) with y² + x² <= radius², in the smallest square
    that holds them, of side 2 floor(radius) + 1. Widens strokes by `radius` pixels on every side."""
    r = math.floor(radius)
    ys, xs = np.mgrid[-r : r + 1, -r : r + 1]
    return ys**2 + xs**2 <= radius**2


def to_mnist(picture: np.ndarray, name: str = "image") -> np.ndarray:
    """A picture (RGB (h, w, 3) or grayscale (h, w), 0..1, 0 = black) -> a 28x28 uint8 digit in MNIST's style:
    light strokes on black, whose cores saturate, fitted into MNIST's 20x20 box and centred by mass in 28x28."""
    if min(picture.shape[:2]) < MIN_SIDE:
        height, width = picture.shape[:2]
        raise ImageInputError(
            f"{name}: {width}x{height} pixels is too small for a digit; give at least 28x28, as MNIST's are"
        )
    ink = ink_strength((picture.mean(axis=2) if picture.ndim == 3 else picture).astype(np.float32))
    marks = digit_marks(ink, name)
    near = ndimage.binary_dilation(marks, np.ones((3, 3), bool))  # and the pixel around them: their soft edge
    rows, cols = np.flatnonzero(near.any(axis=1)), np.flatnonzero(near.any(axis=0))
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    digit = mnist_width((ink * near)[box], marks[box], max(len(rows), len(cols)) - 2)
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    digit = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    height, width = digit.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.clip(np.asarray(Image.fromarray(digit, mode="F").resize(size, Image.Resampling.LANCZOS)), 0.0, None)
    strokes = small[small >= MARK * small.max()]
    small = np.clip(small / max(float(np.percentile(strokes, CORE)), 1e-6), 0.0, 1.0)

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
    return to_mnist(load_picture(path), str(path))


def decode_digit(data: bytes, name: str) -> np.ndarray:
    """The bytes of a picture file -> the 28x28 uint8 MNIST-style digit the models see."""
    return to_mnist(decode_picture(data, name), name)
