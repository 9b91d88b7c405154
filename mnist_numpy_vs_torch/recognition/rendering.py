"""Pictures of MNIST digits made the ways people make them: the one renderer, used by the recognition oracle
(oracle.py) and by the tests' phone photos (tests/photos.py).

A picture starts as an ink map, 0..1 at the picture's scale: MNIST's own strokes enlarged (`enlarged`), a pen's
line along their centre (`pen`), a marker's widened strokes (`marker`) or bold binarised ones on a canvas. The ink
is laid on paper in a colour (`inked`, INKS), and the picture may be out of focus (`out_of_focus`) or scanned
coarsely (`low_resolution`). `render` makes a whole picture file as a `Look` says; the pieces are public so that a
picture composed otherwise (a phone photo of a page) is drawn the same way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage
from skimage.morphology import skeletonize

from mnist_numpy_vs_torch.recognition.picture import BOX, MNIST_STROKE, disc

WHITE, BLACK = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
# What people write with, RGB in 0..1: a ballpoint's blue-black, coloured pens, and chalk on a dark board
INKS = {
    "blue-black": (0.08, 0.09, 0.22),
    "red": (0.75, 0.1, 0.1),
    "blue": (0.1, 0.2, 0.75),
    "green": (0.05, 0.45, 0.15),
    "violet": (0.45, 0.1, 0.55),
    "chalk": (0.92, 0.93, 0.9),
}
COLOURED = ("red", "blue", "green", "violet")  # the coloured pens; their order fixes what a seeded draw picks
PEN_CORE = 0.45  # a pen's line follows the centre of the enlarged strokes where their ink exceeds this


@dataclass(frozen=True)
class Look:
    """How one picture of a digit is made. The defaults: MNIST's own frame enlarged 10x (bicubic), black ink on
    white paper, evenly lit, sharp, saved as PNG."""

    scale: float = 10.0  # the 28x28 frame's enlargement
    resample: Image.Resampling = Image.Resampling.BICUBIC
    light_on_dark: bool = False  # MNIST's own way round; else dark ink on light paper
    margins: tuple[float, float, float, float] | None = None  # top, bottom, left, right, in digit sizes; None: MNIST's
    stroke: str = "mnist"  # mnist | pen (thinner) | marker (thicker) | bold (binarised, on a canvas)
    stroke_width: float = 0.0  # pen and marker: the stroke's width over the digit's size
    canvas_fill: float = 0.0  # bold: the digit's size over the 280x280 canvas's side
    paper: tuple[float, float, float] = WHITE
    ink: tuple[float, float, float] = BLACK
    gradient: float = 0.0  # uneven light: the brightness changes by this fraction across the picture
    vignette: float = 0.0  # and the corners darken by this fraction
    angle: float = 0.0  # degrees, anticlockwise
    blur: float = 0.0  # Gaussian sigma over the digit's size
    across: float = 0.0  # low resolution: the digit is reduced to this many pixels across, then enlarged again
    noise: float = 0.0  # sensor noise, standard deviation
    jpeg: int = 0  # JPEG quality; 0 saves PNG


def enlarged(digit: np.ndarray, side: int, resample: Image.Resampling = Image.Resampling.BICUBIC) -> np.ndarray:
    """An MNIST digit (28x28 uint8, light on black) as ink at `side` x `side` pixels, float32 0..1 (1 = ink): its
    own strokes and grays, as printed."""
    return np.asarray(Image.fromarray(digit).resize((side, side), resample), np.float32) / 255


def pen(ink: np.ndarray, width: float, core: float = PEN_CORE) -> np.ndarray:
    """`ink` redrawn as a round pen `width` pixels wide writes it: along the centre line (skeleton) of where the ink
    exceeds `core`, the line's edge soft over 0.6 pixels as a real line's is. Float32 0..1."""
    line = ndimage.distance_transform_edt(~skeletonize(ink > core)) <= width / 2
    return ndimage.gaussian_filter(line.astype(np.float32), 0.6)


def marker(ink: np.ndarray, radius: float, edge: float = 0.0) -> np.ndarray:
    """`ink` as a marker writes it: its strokes widened by `radius` pixels on every side (a grey dilation with a
    disc), their edge then soft over `edge` pixels (a Gaussian's sigma; 0 keeps it sharp)."""
    widened = ndimage.grey_dilation(ink, footprint=disc(radius))
    return ndimage.gaussian_filter(widened, edge) if edge else widened


def inked(paper: np.ndarray | tuple[float, ...], ink: np.ndarray, colour: tuple[float, ...]) -> np.ndarray:
    """Paper (one RGB colour, or (h, w, 3) float32) with `ink` ((h, w), 0..1) laid on it in `colour`: float32 RGB
    (h, w, 3), each pixel the paper's and the ink's colours mixed by the ink's strength."""
    paper = np.asarray(paper, np.float32)
    return paper * (1 - ink[..., None]) + np.asarray(colour, np.float32) * ink[..., None]


def as_image(pixels: np.ndarray) -> Image.Image:
    """Float RGB in 0..1 -> an 8-bit Pillow image."""
    return Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8), "RGB")


def out_of_focus(image: Image.Image, sigma: float) -> Image.Image:
    """`image` as a lens focused off the paper takes it: a Gaussian blur of `sigma` pixels (Pillow's, whose time
    does not grow with the radius)."""
    return image.filter(ImageFilter.GaussianBlur(sigma))


def low_resolution(image: Image.Image, across: float, size: float) -> Image.Image:
    """`image` scanned so coarsely that a digit `size` pixels across is `across` pixels across (box filter), then
    enlarged back to its own size (bicubic)."""
    scale = across / size
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BOX)
    return small.resize(image.size, Image.Resampling.BICUBIC)


def _bold(digit: np.ndarray, canvas_fill: float) -> np.ndarray:
    """As the page's canvas sends a drawing: the digit's strokes black or white, nothing between, `canvas_fill` of
    a 280x280 canvas's side."""
    box = _crop(digit.astype(np.float32) / 255)
    size = round(280 * canvas_fill)
    scale = size / max(box.shape)
    shape = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    strokes = np.asarray(Image.fromarray(box, "F").resize(shape, Image.Resampling.BICUBIC)) > 0.35
    canvas = np.zeros((280, 280), np.float32)
    top, left = (280 - strokes.shape[0]) // 2, (280 - strokes.shape[1]) // 2
    canvas[top : top + strokes.shape[0], left : left + strokes.shape[1]] = strokes
    return canvas


def _ink_map(digit: np.ndarray, look: Look) -> np.ndarray:
    """The digit's ink, 0..1, at the picture's scale: MNIST's own strokes, a pen's, a marker's or bold ones."""
    if look.stroke == "bold":
        return _bold(digit, look.canvas_fill)
    ink = enlarged(digit, max(1, round(28 * look.scale)), look.resample)
    if look.stroke == "pen":
        ink = pen(ink, look.stroke_width * BOX * look.scale)
    elif look.stroke == "marker":  # MNIST's strokes widened from MNIST_STROKE of the digit's size to stroke_width
        ink = marker(ink, max(1.0, (look.stroke_width - MNIST_STROKE) * BOX * look.scale / 2))
    if look.margins is not None:
        box = _crop(ink)
        size = max(box.shape)
        top, bottom, left, right = (round(m * size) for m in look.margins)
        ink = np.pad(box, ((top, bottom), (left, right)))
    return ink


def _crop(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.02), np.flatnonzero(ink.max(axis=0) > 0.02)
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def render(digit: np.ndarray, look: Look, rng: np.random.Generator) -> bytes:
    """A picture file of `digit` (28x28 uint8, light on black) made as `look` says; `rng` draws its noise."""
    ink = _ink_map(digit, look)
    paper, colour = (BLACK, WHITE) if look.light_on_dark else (look.paper, look.ink)
    pixels = inked(paper, ink, colour)
    height, width = ink.shape
    size = float(max(_crop(ink).shape)) if ink.max() > 0.02 else float(max(height, width))
    if look.gradient or look.vignette:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        light = 1 + look.gradient * (xs / max(width - 1, 1) - 0.5)
        light *= 1 - look.vignette * 2 * ((xs / width - 0.5) ** 2 + (ys / height - 0.5) ** 2)
        pixels *= light[..., None]
    image = as_image(pixels)
    if look.angle:
        fill = tuple(round(c * 255) for c in paper)
        image = image.rotate(look.angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if look.blur:
        image = out_of_focus(image, look.blur * size)
    if look.across:
        image = low_resolution(image, look.across, size)
    if look.noise:
        noisy = np.asarray(image, np.float32) / 255 + look.noise * rng.standard_normal((image.height, image.width, 1))
        image = as_image(noisy)
    buffer = io.BytesIO()
    if look.jpeg:
        image.save(buffer, "JPEG", quality=look.jpeg)
    elif look == Look(scale=1.0, light_on_dark=look.light_on_dark):  # MNIST's own 28x28 as a grayscale PNG
        image.convert("L").save(buffer, "PNG")
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()
