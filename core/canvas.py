"""Antialiased 2D drawing on a float64 RGB canvas: the primitives the painter and the content
drawing share.

Coordinates are normalised: u in [0, 1] left → right, v in [0, 1] top → bottom of the image,
pixel centres at (i + 0.5) / size. Each shape's coverage is ``clip(0.5 - d, 0, 1)`` of its
signed distance ``d`` in pixels, so edges are one pixel wide at any resolution. Pure float64
numpy arithmetic: exact and deterministic for given inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

Color = tuple[float, float, float]
F64 = NDArray[np.float64]


class Canvas:
    """Float64 RGB canvas with 'over' compositing restricted to bounding boxes."""

    def __init__(self, size: int, background: Color) -> None:
        self.size = size
        self.rgb = np.empty((size, size, 3), dtype=np.float64)
        self.rgb[:] = background

    def window(
        self, u0: float, v0: float, u1: float, v1: float
    ) -> tuple[slice, slice, F64, F64] | None:
        """Pixel slices and pixel-unit coordinates (x, y) covering a normalised box (+2 px)."""
        n = self.size
        c0 = max(0, (math.floor(u0 * n)) - 2)
        c1 = min(n, (math.ceil(u1 * n)) + 2)
        r0 = max(0, (math.floor(v0 * n)) - 2)
        r1 = min(n, (math.ceil(v1 * n)) + 2)
        if c0 >= c1 or r0 >= r1:
            return None
        grid: F64 = np.mgrid[r0:r1, c0:c1].astype(np.float64) + 0.5
        return slice(r0, r1), slice(c0, c1), grid[1], grid[0]

    def over(self, rows: slice, cols: slice, color: Color, alpha: F64) -> None:
        patch = self.rgb[rows, cols]
        a = alpha[..., None]
        patch[:] = patch * (1.0 - a) + np.asarray(color, dtype=np.float64) * a


def coverage(signed_dist_px: NDArray[Any]) -> F64:
    """Pixel coverage of a shape from its signed distance in pixels (inside < 0)."""
    out: F64 = np.clip(0.5 - signed_dist_px.astype(np.float64, copy=False), 0.0, 1.0)
    return out


def bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], n: int = 24
) -> F64:
    """``n`` points of the quadratic Bézier p0 → p2 with control point p1: (n, 2)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (p0, p1, p2))
    pts: F64 = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c
    return pts


def stroke(cv: Canvas, pts: F64, radius: F64 | float, color: Color, opacity: float = 1.0) -> None:
    """Draw a polyline (normalised points) with per-point radius (normalised), round caps."""
    if opacity <= 0.0:
        return
    n = cv.size
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (pts.shape[0],)) * n
    pad = float(rad.max()) / n
    win = cv.window(
        pts[:, 0].min() - pad, pts[:, 1].min() - pad, pts[:, 0].max() + pad, pts[:, 1].max() + pad
    )
    if win is None:
        return
    rows, cols, xs, ys = win
    p = pts * n
    a, b = p[:-1], p[1:]
    ra, rb = rad[:-1], rad[1:]
    ab = b - a
    len2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    px = xs[..., None] - a[:, 0]
    py = ys[..., None] - a[:, 1]
    t = np.clip((px * ab[:, 0] + py * ab[:, 1]) / len2, 0.0, 1.0)
    dx = px - t * ab[:, 0]
    dy = py - t * ab[:, 1]
    dist = np.sqrt(dx * dx + dy * dy) - (ra + t * (rb - ra))
    cv.over(rows, cols, color, coverage(dist.min(axis=-1)) * opacity)


def ellipse(
    cv: Canvas,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    color: Color,
    opacity: float = 1.0,
    clip: F64 | None = None,
    clip_win: tuple[slice, slice] | None = None,
) -> None:
    """Filled ellipse (approximate signed distance, exact on the axes), optionally multiplied by
    the coverage ``clip`` defined on the pixel window ``clip_win``."""
    if opacity <= 0.0 or rx <= 0.0 or ry <= 0.0:
        return
    win = cv.window(cx - rx, cy - ry, cx + rx, cy + ry)
    if win is None:
        return
    rows, cols, xs, ys = win
    n = cv.size
    qx = (xs / n - cx) / rx
    qy = (ys / n - cy) / ry
    r = np.sqrt(qx * qx + qy * qy)
    dist = (r - 1.0) * min(rx, ry) * n
    alpha = coverage(dist) * opacity
    if clip is not None and clip_win is not None:
        alpha = alpha * crop(clip, clip_win, (rows, cols))
    cv.over(rows, cols, color, alpha)


def crop(mask: F64, mask_win: tuple[slice, slice], win: tuple[slice, slice]) -> F64:
    """Values of ``mask`` (defined on ``mask_win``) over ``win``; zero outside ``mask_win``."""
    out = np.zeros((win[0].stop - win[0].start, win[1].stop - win[1].start))
    r0 = max(win[0].start, mask_win[0].start)
    r1 = min(win[0].stop, mask_win[0].stop)
    c0 = max(win[1].start, mask_win[1].start)
    c1 = min(win[1].stop, mask_win[1].stop)
    if r0 < r1 and c0 < c1:
        dst = (
            slice(r0 - win[0].start, r1 - win[0].start),
            slice(c0 - win[1].start, c1 - win[1].start),
        )
        src = (
            slice(r0 - mask_win[0].start, r1 - mask_win[0].start),
            slice(c0 - mask_win[1].start, c1 - mask_win[1].start),
        )
        out[dst] = mask[src]
    return out


def lens(
    cv: Canvas, cx: float, cy: float, half_w: float, up: float, down: float, color: Color
) -> tuple[F64, tuple[slice, slice]] | None:
    """Fill the region between two parabolic lids through (cx ± half_w, cy); returns its
    coverage."""
    win = cv.window(cx - half_w, cy - max(up, 0.0), cx + half_w, cy + max(down, 0.0))
    if win is None:
        return None
    rows, cols, xs, ys = win
    n = cv.size
    tx = (xs / n - cx) / half_w
    shape = np.clip(1.0 - tx * tx, 0.0, None)
    y = ys / n
    top = cy - up * shape
    bottom = cy + down * shape
    dist = np.maximum(np.maximum(top - y, y - bottom), np.abs(xs / n - cx) - half_w) * n
    cover = coverage(dist)
    cv.over(rows, cols, color, cover)
    return cover, (rows, cols)
