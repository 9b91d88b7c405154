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
from PIL import Image, ImageDraw

from mnist_numpy_vs_torch.recognition.rendering import (
    INKS,
    as_image,
    enlarged,
    inked,
    low_resolution,
    marker,
    out_of_focus,
    pen,
)

# EXIF orientation -> the transpose that makes a photo taken upright into what the phone stores
STORED_AS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
PAPER, BOARD, RULED_LINE = (0.95, 0.94, 0.9), (0.12, 0.16, 0.14), (0.62, 0.72, 0.9)
# The photos' pen follows the centre line of the strokes' ink above 110 of 255, a little below the oracle's PEN_CORE:
# the tests' floors were measured on photos drawn so
PEN_CORE = 110 / 255
MARKER_RADIUS = 0.035  # the thick marker's widening on each side, over the digit's size: strokes of about 20%
MARKER_EDGE = 0.01  # and its soft edge, a Gaussian's sigma over the digit's size


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


def digit_ink(digit: np.ndarray, side: int, rng: np.random.Generator, conditions: Conditions) -> np.ndarray:
    """An MNIST digit (28x28 uint8) at `side` pixels, float 0..1, 1 = ink: with a thick marker, with a round pen
    1.5-3% of `side` wide along its strokes' centre line, or its own strokes and grays, printed."""
    printed = enlarged(digit, side)
    if conditions.thick:
        return marker(printed, MARKER_RADIUS * side, edge=MARKER_EDGE * side)
    if conditions.pen:
        return pen(printed, side * rng.uniform(0.015, 0.03), core=PEN_CORE)
    return printed


def daylight(ys: np.ndarray, xs: np.ndarray, rng: np.random.Generator, dim: bool) -> np.ndarray:
    """The light on a page of len(ys) x len(xs) pixels (`ys` a column, `xs` a row): 90-100% with a gradient of 8%
    at a random angle; `dim`, 35-55% with a gradient of 35% and a vignette."""
    height, width = ys.shape[0], xs.shape[1]
    light = np.full((height, width), rng.uniform(0.9, 1.0), np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height) - 0.5
    if dim:
        light = rng.uniform(0.35, 0.55) / 0.95 * (1 + 0.35 * ramp)
        distance = np.hypot((xs - width / 2) / width, (ys - height / 2) / height)
        light *= 1 - 0.6 * distance**2  # vignette
    else:
        light *= 1 + 0.08 * ramp
    return light


def phone_photo(digit: np.ndarray, rng: np.random.Generator, conditions: Conditions) -> bytes:
    """A JPEG of `digit` written on paper under `conditions`, 1000-1600 pixels a side."""
    width, height = int(rng.integers(1000, 1600)), int(rng.integers(1000, 1600))
    side = int(min(width, height) * rng.uniform(0.3, 0.5))
    ink = digit_ink(digit, side, rng, conditions)
    if conditions.soft:
        ink = ink * rng.uniform(0.4, 0.7)
    top = int(rng.integers(side // 4, height - side - side // 4))
    left = int(rng.integers(side // 4, width - side - side // 4))
    ys, xs = np.arange(height, dtype=np.float32)[:, None], np.arange(width, dtype=np.float32)[None, :]  # broadcast
    light = daylight(ys, xs, rng, conditions.dim)
    paper = np.array(BOARD if conditions.inverted else PAPER, np.float32)
    reflectance = np.empty((height, width, 3), np.float32)
    reflectance[...] = paper

    if conditions.ruled:
        image = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(image)
        spacing, tilt = int(rng.integers(50, 90)), rng.uniform(-0.02, 0.02)
        for y in range(int(rng.integers(10, spacing)), height, spacing):
            draw.line([(0, y), (width, y + tilt * width)], fill=255, width=int(rng.integers(2, 4)))
        reflectance = inked(reflectance, np.asarray(image, np.float32) / 255, RULED_LINE)
    if conditions.specks:
        for _ in range(int(rng.integers(1, 4))):
            while True:  # away from the digit: at least half its size from its box
                y, x = int(rng.integers(20, height - 20)), int(rng.integers(20, width - 20))
                if not (top - side // 2 < y < top + side * 3 // 2 and left - side // 2 < x < left + side * 3 // 2):
                    break
            radius = rng.uniform(2, 6)
            speck = (np.hypot(ys - y, xs - x) <= radius)[..., None]
            reflectance = np.where(speck, np.array(INKS["blue-black"], np.float32), reflectance)

    colour = INKS["chalk"] if conditions.inverted else INKS["blue-black"]
    if conditions.colour:
        colour = INKS[["red", "blue", "green"][int(rng.integers(0, 3))]]
    region = reflectance[top : top + side, left : left + side]
    reflectance[top : top + side, left : left + side] = inked(region, ink, colour)

    pixels = reflectance * light[..., None]
    if conditions.blur or conditions.low_resolution:
        image = as_image(pixels)
        if conditions.blur:  # out of focus, a Gaussian blur of 1-7% of the digit's size
            image = out_of_focus(image, side * rng.uniform(0.01, 0.07))
        if conditions.low_resolution:  # the digit 8-16 pixels across, enlarged again
            image = low_resolution(image, rng.uniform(8, 16), side)
        pixels = np.asarray(image, np.float32) / 255
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
