"""Where a face's expression-driven features lie: eyelids, brows and the mouth.

One definition of the feature geometry for everything that draws a face: the painter colours
these shapes in a character's style (painter.py), the transfer model's content drawing traces
them as plain lines in the canonical layout (transfer/content.py). Coordinates are normalised
as on the canvas (u right, v down, fractions of the image); curves are quadratic Béziers
sampled at 24 points. Per side: "_r" is the character's right, drawn on the image's left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .canvas import F64, Canvas, bezier

if TYPE_CHECKING:
    from .painter import FaceStyle


@dataclass(frozen=True)
class Lids:
    """One eye's lids: two parabolas through the corners (cx ± half_w, cy)."""

    cx: float
    """Horizontal centre."""
    cy: float
    """Height of the corners."""
    half_w: float
    """Half width, corner to centre."""
    up: float
    """Opening above the corner line at the centre (0: closed)."""
    down: float
    """Opening below it."""
    upper: F64
    """Upper lid curve (24, 2)."""
    lower: F64
    """Lower lid curve (24, 2)."""


def lids(s: FaceStyle, cx: float, close: float, wide: float, smile: float) -> Lids:
    """An eye centred at ``cx``: closing shuts both lids, widening opens them, the same side's
    smile narrows them."""
    openness = (1.0 - close) * (1.0 + 0.45 * wide) * (1.0 - 0.3 * smile)
    up = s.eye_height * openness
    down = s.eye_height * 0.55 * (1.0 - close) * (1.0 - 0.45 * smile) * (1.0 + 0.25 * wide)
    cy = s.eye_y
    x0, x1 = cx - s.eye_width, cx + s.eye_width
    upper = bezier((x0, cy), (cx, cy - 2.0 * up), (x1, cy))
    lower = bezier((x0, cy), (cx, cy + 2.0 * down), (x1, cy))
    return Lids(cx, cy, s.eye_width, up, down, upper, lower)


def brow(s: FaceStyle, side: float, raise_: float, furrow: float) -> F64:
    """One brow's centre line (24, 2); side = -1 for the image-left brow, +1 for the image-right
    one. Raising lifts it (the inner end most), the furrow pulls the inner end in and down."""
    cx = 0.5 + side * s.eye_spacing
    base = s.eye_y - s.eye_height - s.brow_gap
    lift = 0.045 * raise_
    inner = (cx - side * s.eye_width * (0.95 - 0.25 * furrow), base - lift + 0.030 * furrow)
    outer = (cx + side * s.eye_width * 1.05, base - 0.6 * lift + 0.012)
    mid = (cx + side * 0.01, base - lift - 0.02 - 0.025 * raise_ + 0.012 * furrow)
    return bezier(inner, mid, outer)


@dataclass(frozen=True)
class Mouth:
    """The mouth's lines and its opening; smile / frown move each corner on its own."""

    cx: float
    """Horizontal centre (moves toward the wider side)."""
    my: float
    """Height of the mouth line at rest."""
    half_w: float
    """Half width, corner to centre."""
    dy_r: float
    """Vertical offset of the image-left (character's right) corner."""
    dy_l: float
    """Vertical offset of the image-right (character's left) corner."""
    corner_dy: float
    """Mean corner height: the middle control points bow against it."""
    slope: float
    """Left-right tilt of the corners (0 for a symmetric mouth)."""
    open_h: float
    """How far the jaw opens the mouth (0: closed)."""
    upper: F64
    """Upper lip line (24, 2): bows with the corners."""
    lower: F64
    """Lower edge of the opening (24, 2); drawn only when the mouth is open."""
    lower_lip: F64
    """Contour under the lower lip (24, 2)."""


def mouth(
    s: FaceStyle, jaw: float, smile: tuple[float, float], frown: tuple[float, float]
) -> Mouth:
    """smile, frown: (character's right = image left, character's left = image right). Built so
    that equal sides give exactly the symmetric mouth (``0.5 * (a + a) == a``)."""
    my = s.mouth_y
    # Per-side half widths and corner heights; the centre moves toward the wider side.
    w_r = s.mouth_width * (1.0 + 0.25 * smile[0] - 0.1 * frown[0])
    w_l = s.mouth_width * (1.0 + 0.25 * smile[1] - 0.1 * frown[1])
    half_w = 0.5 * (w_l + w_r)
    cx = 0.5 + 0.5 * (w_l - w_r)
    dy_r = -0.035 * smile[0] + 0.030 * frown[0]
    dy_l = -0.035 * smile[1] + 0.030 * frown[1]
    corner_dy = 0.5 * (dy_l + dy_r)
    slope = 0.5 * (dy_l - dy_r)
    open_h = 0.075 * jaw
    x0, x1 = cx - half_w, cx + half_w
    upper = bezier((x0, my + dy_r), (cx, my - corner_dy), (x1, my + dy_l))
    lower = bezier((x0, my + dy_r), (cx, my + 2.0 * open_h - corner_dy), (x1, my + dy_l))
    lower_lip = bezier(
        (x0 + 0.2 * half_w, my + open_h + 0.018 + 0.5 * dy_r),
        (cx, my + open_h * 1.15 + 0.032 - 0.3 * corner_dy),
        (x1 - 0.2 * half_w, my + open_h + 0.018 + 0.5 * dy_l),
    )
    return Mouth(cx, my, half_w, dy_r, dy_l, corner_dy, slope, open_h, upper, lower, lower_lip)


@dataclass(frozen=True)
class Opening:
    """The open mouth's interior over a canvas window (pixel-unit arrays of the window's shape)."""

    rows: slice
    cols: slice
    """The window."""
    tx: F64
    """Position across the mouth, -1 at the image-left corner to 1 at the other."""
    y: F64
    """Normalised height of each pixel."""
    line: F64
    """Height of the upper lip line in each column."""
    dist: F64
    """Signed distance to the opening's outline, pixels (inside < 0)."""


def opening(cv: Canvas, m: Mouth) -> Opening | None:
    """The region between the upper lip line and the jaw-opened lower edge; None when the mouth
    is closed or the region misses the canvas."""
    if m.open_h <= 0.0:
        return None
    reach = max(abs(m.dy_l), abs(m.dy_r))
    win = cv.window(m.cx - m.half_w, m.my - reach, m.cx + m.half_w, m.my + reach + m.open_h * 1.2)
    if win is None:
        return None
    rows, cols, xs, ys = win
    n = cv.size
    tx: F64 = np.clip((xs / n - m.cx) / m.half_w, -1.0, 1.0)
    dy = m.corner_dy + m.slope * tx  # corner height in this column (corner_dy when symmetric)
    line: F64 = m.my + dy * (2 * tx * tx - 1)
    bottom = line + m.open_h * (1.0 - tx * tx)
    y: F64 = ys / n
    dist = np.maximum(np.maximum(line - y, y - bottom), np.abs(xs / n - m.cx) - m.half_w) * n
    return Opening(rows, cols, tx, y, line, cast(F64, dist))
