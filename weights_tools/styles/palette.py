"""Colour draws the pixel, anime, flat and painterly families share.

Skins include non-human ones (green, blue, grey, purple); backgrounds are one of
:data:`BACKGROUNDS`.
"""

from __future__ import annotations

import colorsys

import numpy as np

from .raster import Color, mix

BACKGROUNDS: tuple[str, ...] = ("skin", "color", "transparent")
"""How the image around the head is filled: ``skin`` (the face fills the image to its border),
``color`` (a flat colour around a head shape), ``transparent`` (alpha 0 around a head shape)."""


def hsv(h: float, s: float, v: float) -> Color:
    """RGB of hue (turns), saturation, value, all in [0, 1]."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return (float(r), float(g), float(b))


def random_skin(rng: np.random.Generator, non_human: float = 0.3) -> Color:
    """A human skin tone, or with probability ``non_human`` a green, blue, grey or purple one."""
    if rng.uniform() < non_human:
        kind = int(rng.integers(0, 4))
        if kind == 0:
            return hsv(rng.uniform(0.22, 0.40), rng.uniform(0.25, 0.65), rng.uniform(0.45, 0.9))
        if kind == 1:
            return hsv(rng.uniform(0.52, 0.64), rng.uniform(0.25, 0.6), rng.uniform(0.5, 0.95))
        if kind == 2:
            g = rng.uniform(0.45, 0.85)
            return hsv(rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.08), g)
        return hsv(rng.uniform(0.72, 0.88), rng.uniform(0.2, 0.5), rng.uniform(0.5, 0.9))
    v = rng.uniform(0.35, 0.99)
    return hsv(rng.uniform(0.03, 0.09), rng.uniform(0.18, 0.55) * (1.1 - 0.3 * v), v)


def random_hair(rng: np.random.Generator) -> Color:
    """Natural hair (black, browns, blond, red, grey) or a fantasy colour."""
    if rng.uniform() < 0.3:
        return hsv(rng.uniform(), rng.uniform(0.4, 0.9), rng.uniform(0.35, 0.95))
    return hsv(rng.uniform(0.02, 0.12), rng.uniform(0.0, 0.8), rng.uniform(0.05, 0.9))


def random_iris(rng: np.random.Generator) -> Color:
    return hsv(rng.uniform(), rng.uniform(0.3, 0.9), rng.uniform(0.25, 0.85))


def random_ink(rng: np.random.Generator) -> Color:
    """A dark line colour, sometimes tinted."""
    return hsv(rng.uniform(), rng.uniform(0.0, 0.7), rng.uniform(0.02, 0.3))


def random_background(
    rng: np.random.Generator, weights: tuple[float, float, float] = (0.4, 0.35, 0.25)
) -> tuple[str, Color]:
    """(mode from :data:`BACKGROUNDS`, colour used when the mode is ``color``)."""
    p = np.asarray(weights, dtype=np.float64)
    mode = BACKGROUNDS[int(rng.choice(len(BACKGROUNDS), p=p / p.sum()))]
    return mode, hsv(rng.uniform(), rng.uniform(0.0, 0.7), rng.uniform(0.2, 0.95))


def darker(c: Color, k: float) -> Color:
    """``c`` scaled toward black by factor ``k`` (< 1)."""
    return (c[0] * k, c[1] * k, c[2] * k)


def lip_color(rng: np.random.Generator, skin: Color) -> Color:
    """A lip tone: the skin pushed toward red and darkened, sometimes a painted colour."""
    if rng.uniform() < 0.2:
        return hsv(rng.uniform(), rng.uniform(0.4, 0.8), rng.uniform(0.4, 0.8))
    t = rng.uniform(0.35, 0.7)
    k = rng.uniform(0.75, 0.95)
    return darker(mix(skin, (0.78, 0.28, 0.32), float(t)), float(k))


def luminance(c: Color) -> float:
    """Relative luminance (Rec. 709 weights) of an RGB colour."""
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def darker_than(c: Color, against: Color, ratio: float) -> Color:
    """``c`` darkened, if needed, until its luminance is at most ``ratio`` × that of
    ``against`` (keeps brows, lashes and lips visible on any skin)."""
    lum, limit = luminance(c), ratio * luminance(against)
    return c if lum <= limit or lum <= 0.0 else darker(c, limit / lum)
