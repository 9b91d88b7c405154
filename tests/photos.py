"""Phone-style photos of handwritten digits, made from MNIST test digits with a seed, for the recognition tests.

Each photo is a large colour JPEG of a digit on paper, as a phone saves one. The conditions, which combine:
- `pen`: the digit redrawn as a pen stroke (its skeleton, 1.5-3% of the digit's height wide), where MNIST's
  strokes are about 13% of theirs; without it, the MNIST digit itself, printed and photographed;
- `rotated`: stored sideways or upside down, with the EXIF Orientation tag that turns it upright;
- `dim`: paper at 35-55% gray, with a vignette and a light gradient;
- `ruled`: ruled paper (pale blue lines, slightly tilted);
- `specks`: one to three dark specks away from the digit;
- `colour`: ink of a colour (red, blue, green) instead of black-blue;
- `inverted`: light chalk on a dark board;
- `blur`: out of focus, a Gaussian blur of 1-7% of the digit's size;
- `low_resolution`: a low-resolution scan, the digit reduced to 8-16 pixels across and enlarged again (bicubic);
- `soft`: soft gray ink, at 40-70% of the dark ink's contrast with the paper;
- `thick`: a thick marker, the MNIST strokes widened to about 20% of the digit's size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage
from skimage.morphology import skeletonize

# EXIF orientation -> the transpose that makes a photo taken upright into what the phone stores
STORED_AS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
INKS = {"dark": (0.08, 0.09, 0.22), "red": (0.75, 0.1, 0.1), "blue": (0.1, 0.2, 0.75), "green": (0.05, 0.45, 0.15)}


@dataclass(frozen=True)
class Conditions:
    pen: bool = True
    rotated: bool = False
    dim: bool = False
    ruled: bool = False
    specks: bool = False
    colour: bool = False
    inverted: bool = False
    blur: bool = False
    low_resolution: bool = False
    soft: bool = False
    thick: bool = False


def pen_stroke(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit (28x28 uint8) at `height` pixels as a pen would write it: the skeleton of its strokes, drawn
    with a round pen 1.5-3% of the height wide. Float 0..1, 1 = ink."""
    big = np.asarray(Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC), dtype=np.float32)
    skeleton = skeletonize(big > 110)
    width = height * rng.uniform(0.015, 0.03)
    ink = ndimage.distance_transform_edt(~skeleton) <= width / 2
    return ndimage.gaussian_filter(ink.astype(np.float32), 0.6)


def printed(digit: np.ndarray, height: int) -> np.ndarray:
    """An MNIST digit printed at `height` pixels: its own strokes and grays."""
    return np.asarray(Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC), np.float32) / 255


def marker(digit: np.ndarray, height: int) -> np.ndarray:
    """An MNIST digit at `height` pixels written with a thick marker: its strokes widened to about 20% of it."""
    strokes = printed(digit, height)
    widened = ndimage.grey_dilation(strokes, footprint=_disc(0.035 * height))
    return ndimage.gaussian_filter(widened, 0.01 * height)


def _disc(radius: float) -> np.ndarray:
    r = max(1, round(radius))
    ys, xs = np.mgrid[-r : r + 1, -r : r + 1]
    return ys**2 + xs**2 <= radius**2


def as_image(pixels: np.ndarray) -> Image.Image:
    """Float RGB in 0..1 -> an 8-bit Pillow image."""
    return Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8), "RGB")


def out_of_focus(pixels: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """A Gaussian blur of 1-7% of the digit's size `side`, as a lens focused off the paper gives (Pillow's, whose
    time does not grow with the radius)."""
    image = as_image(pixels)
    blurred = image.filter(ImageFilter.GaussianBlur(side * rng.uniform(0.01, 0.07)))
    return np.asarray(blurred, np.float32) / 255


def low_resolution(pixels: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """The picture scanned so coarsely that the digit is 8-16 pixels across, then enlarged back (bicubic)."""
    height, width = pixels.shape[:2]
    scale = rng.uniform(8, 16) / side
    image = as_image(pixels)
    small = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    return np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), np.float32) / 255


def phone_photo(digit: np.ndarray, rng: np.random.Generator, conditions: Conditions) -> bytes:
    """A JPEG of `digit` written on paper under `conditions`, 1000-1600 pixels a side."""
    width, height = int(rng.integers(1000, 1600)), int(rng.integers(1000, 1600))
    side = int(min(width, height) * rng.uniform(0.3, 0.5))
    if conditions.thick:
        ink = marker(digit, side)
    else:
        ink = pen_stroke(digit, side, rng) if conditions.pen else printed(digit, side)
    if conditions.soft:
        ink = ink * rng.uniform(0.4, 0.7)
    top = int(rng.integers(side // 4, height - side - side // 4))
    left = int(rng.integers(side // 4, width - side - side // 4))
    ys, xs = np.arange(height, dtype=np.float32)[:, None], np.arange(width, dtype=np.float32)[None, :]  # broadcast

    light = np.full((height, width), rng.uniform(0.9, 1.0), np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height) - 0.5
    if conditions.dim:
        light = rng.uniform(0.35, 0.55) / 0.95 * (1 + 0.35 * ramp)
        distance = np.hypot((xs - width / 2) / width, (ys - height / 2) / height)
        light *= 1 - 0.6 * distance**2  # vignette
    else:
        light *= 1 + 0.08 * ramp
    paper = np.array([0.95, 0.94, 0.9] if not conditions.inverted else [0.12, 0.16, 0.14], np.float32)
    reflectance = np.empty((height, width, 3), np.float32)
    reflectance[...] = paper

    if conditions.ruled:
        image = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(image)
        spacing, tilt = int(rng.integers(50, 90)), rng.uniform(-0.02, 0.02)
        for y in range(int(rng.integers(10, spacing)), height, spacing):
            draw.line([(0, y), (width, y + tilt * width)], fill=255, width=int(rng.integers(2, 4)))
        line = np.asarray(image, np.float32)[..., None] / 255
        reflectance = reflectance * (1 - line) + np.array([0.62, 0.72, 0.9], np.float32) * line
    if conditions.specks:
        for _ in range(int(rng.integers(1, 4))):
            while True:  # away from the digit: at least half its size from its box
                y, x = int(rng.integers(20, height - 20)), int(rng.integers(20, width - 20))
                if not (top - side // 2 < y < top + side * 3 // 2 and left - side // 2 < x < left + side * 3 // 2):
                    break
            radius = rng.uniform(2, 6)
            speck = (np.hypot(ys - y, xs - x) <= radius)[..., None]
            reflectance = np.where(speck, np.array(INKS["dark"], np.float32), reflectance)

    colour = np.array([0.92, 0.93, 0.9] if conditions.inverted else INKS["dark"], np.float32)
    if conditions.colour:
        colour = np.array(INKS[["red", "blue", "green"][int(rng.integers(0, 3))]], np.float32)
    region = reflectance[top : top + side, left : left + side]
    reflectance[top : top + side, left : left + side] = region * (1 - ink[..., None]) + colour * ink[..., None]

    pixels = reflectance * light[..., None]
    if conditions.blur:
        pixels = out_of_focus(pixels, side, rng)
    if conditions.low_resolution:
        pixels = low_resolution(pixels, side, rng)
    pixels += 0.012 * rng.standard_normal((height, width, 3), dtype=np.float32)  # sensor noise
    photo = as_image(pixels)
    exif = Image.Exif()
    if conditions.rotated:
        orientation = [3, 6, 8][int(rng.integers(0, 3))]
        photo = photo.transpose(STORED_AS[orientation])
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()
