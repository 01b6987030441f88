"""Procedural rendering of one image: a textured object on a natural-statistics background.

Backgrounds and object textures are 1/f ("pink") noise, the power spectrum of natural photographs,
so the data is not flat cartoons. The object is an implicit shape (approximate signed distance in
object units, negative inside) drawn with a one-pixel soft edge. Pixel centres sit at
``(i + 0.5) / size - 0.5`` in units of the side, x to the right, y downwards.

Appearance factors follow torchvision's definitions on [0, 1] images: brightness multiplies,
contrast blends with the mean grey level, saturation blends with the grey image (ITU-R 601 luma).
"""

from __future__ import annotations

import colorsys

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114])
CANONICAL_RADIUS = 0.22  # object radius as a fraction of the side at scale 1
BACKGROUND_HUE = 0.58  # sky blue
OBJECT_HUE = 0.08  # orange, opposite the background


def _box(x, y, half_w, half_h):
    return np.maximum(np.abs(x) - half_w, np.abs(y) - half_h)


def _convex(x, y, vertices):
    """Approximate signed distance to a convex polygon (vertices counter-clockwise in x-right,
    y-up coordinates): the largest signed distance to an edge line."""
    distance = np.full(x.shape, -np.inf)
    for (x0, y0), (x1, y1) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        edge = np.array([x1 - x0, y1 - y0])
        normal = np.array([edge[1], -edge[0]]) / np.hypot(*edge)  # outward for counter-clockwise
        distance = np.maximum(distance, (x - x0) * normal[0] + (y - y0) * normal[1])
    return distance


def shape_distance(shape: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed distance (object units, about 1 = radius) of points to ``shape``; y points up."""
    radius = np.hypot(x, y)
    if shape == "disc":
        return radius - 0.9
    if shape == "square":
        return _box(x, y, 0.75, 0.75)
    if shape == "arrow":  # points right; asymmetric so that rotation changes it
        head = _convex(x, y, [(0.0, -0.8), (0.95, 0.0), (0.0, 0.8)])
        return np.minimum(head, _box(x + 0.45, y, 0.47, 0.22))
    if shape == "cross":
        return np.minimum(_box(x, y, 0.85, 0.26), _box(x, y, 0.26, 0.85))
    if shape == "ring":
        return np.abs(radius - 0.68) - 0.22
    if shape == "star":
        angle = np.arctan2(y, x)
        return (radius - (0.62 + 0.3 * np.cos(5 * angle))) * 0.6
    if shape == "triangle":
        return _convex(x, y, [(-0.85, -0.6), (0.85, -0.6), (0.0, 0.9)])
    if shape == "crescent":
        return np.maximum(radius - 0.9, -(np.hypot(x - 0.5, y - 0.15) - 0.7))
    if shape == "ellipse":
        return (np.hypot(x / 0.95, y / 0.5) - 1.0) * 0.5
    if shape == "bowtie":
        return np.maximum(
            np.abs(x) - 0.85, (np.abs(y) - 0.85 * np.abs(x) - 0.08) / np.hypot(1.0, 0.85)
        )
    raise ValueError(f"shape {shape!r} unknown; valid: {', '.join(SHAPES)}")


SHAPES = (
    "disc",
    "square",
    "arrow",
    "cross",
    "ring",
    "star",
    "triangle",
    "crescent",
    "ellipse",
    "bowtie",
)


def pink_noise(rng: np.random.Generator, size: int, exponent: float = 1.0) -> np.ndarray:
    """A size x size field with amplitude spectrum 1/f**exponent, zero mean and unit std."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    frequency = np.hypot(fx, fy)
    frequency[0, 0] = 1.0
    spectrum = rng.standard_normal(frequency.shape) + 1j * rng.standard_normal(frequency.shape)
    field = np.fft.irfft2(spectrum / frequency**exponent, s=(size, size))
    return (field - field.mean()) / (field.std() + 1e-12)


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with reflected borders, as two small matrix products."""
    size = image.shape[0]
    if sigma < 0.25:  # below a quarter pixel the kernel is a delta at this sampling
        return image
    index = np.arange(size)
    offsets = np.arange(-int(np.ceil(3 * sigma)), int(np.ceil(3 * sigma)) + 1)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    weights /= weights.sum()
    matrix = np.zeros((size, size))
    for offset, weight in zip(offsets, weights, strict=True):
        source = index + offset
        source = np.where(source < 0, -source - 1, source)
        source = np.where(source >= size, 2 * size - source - 1, source)
        np.add.at(matrix, (index, source), weight)
    rows = np.tensordot(matrix, image, axes=(1, 0))  # blur along y
    return np.tensordot(matrix, rows, axes=(1, 1)).transpose(1, 0, 2)  # then along x


def render(
    shape: str, factors: dict[str, float], size: int, rng: np.random.Generator
) -> np.ndarray:
    """One float64 (size, size, 3) image on [0, 1] of ``shape`` under ``factors`` (see factors.py)."""
    coords = (np.arange(size) + 0.5) / size - 0.5
    px, py = np.meshgrid(coords, coords)  # x right, y down, units of the side

    # Background: tinted pink noise, darker and less saturated than the object. The palette is
    # shared by every class and jittered only within the mild ranges of the declared factors (a few
    # per cent), so that hue, tint and level are not undeclared factors of variation.
    background_colour = np.array(
        colorsys.hsv_to_rgb(BACKGROUND_HUE + rng.uniform(-0.02, 0.02), rng.uniform(0.15, 0.2), 1.0)
    )
    luminance = rng.uniform(0.41, 0.47) + 0.13 * pink_noise(rng, size)
    image = luminance[..., None] * background_colour

    # Object: inverse map of the pixel grid into object units (shift, then un-shear and un-rotate).
    x = px - factors["position_x"]
    y = -(py - factors["position_y"])  # y up for the shape functions
    theta = np.deg2rad(factors["rotation"])
    x, y = np.cos(theta) * x + np.sin(theta) * y, -np.sin(theta) * x + np.cos(theta) * y
    x = x - np.tan(np.deg2rad(factors["shear"])) * y
    radius = CANONICAL_RADIUS * factors["scale"]
    distance_px = shape_distance(shape, x / radius, y / radius) * radius * size
    alpha = np.clip(0.5 - distance_px, 0.0, 1.0)[..., None]

    hue = (OBJECT_HUE + rng.uniform(-0.02, 0.02)) % 1.0
    colour = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.7, 0.8), rng.uniform(0.82, 0.88)))
    texture = 1.0 + 0.18 * pink_noise(rng, size, exponent=1.3)[..., None]
    image = alpha * colour * texture + (1.0 - alpha) * image
    image = np.clip(image, 0.0, 1.0)

    # Appearance, in torchvision's order-independent definitions on [0, 1].
    grey = image @ LUMA
    image = np.clip(grey[..., None] + factors["saturation"] * (image - grey[..., None]), 0.0, 1.0)
    mean = (image @ LUMA).mean()
    image = np.clip(mean + factors["contrast"] * (image - mean), 0.0, 1.0)
    image = np.clip(image * factors["brightness"], 0.0, 1.0)
    return np.clip(_gaussian_blur(image, factors["blur"] * size), 0.0, 1.0)
