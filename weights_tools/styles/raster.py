"""The small rasteriser the pixel, anime, flat and painterly families share.

Everything is float64 numpy arithmetic on pixel-centre grids, so a drawing is exact and
deterministic. Shapes are signed distances in pixels (negative inside); :func:`cover` turns a
distance into coverage with an edge ``soft`` pixels wide (0: hard, aliased edges).

Face frame: families lay their features out in units of ``L = min(width, height)`` around the
image centre (x right, y down), so a face keeps its proportions in a non-square image and the
extra width or height becomes cheeks, forehead or chin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
G = TypeVar("G", bound=np.generic)
Color = tuple[float, float, float]


@dataclass(frozen=True)
class Frame:
    """Face units → pixels for an image of ``width`` × ``height``."""

    width: int
    """Image width in pixels."""
    height: int
    """Image height in pixels."""

    @property
    def unit(self) -> float:
        """Pixels per face unit: the shorter image side."""
        return float(min(self.width, self.height))

    def x(self, u: float) -> float:
        """Pixel x of face-unit x ``u`` (0 = image centre)."""
        return self.width / 2.0 + u * self.unit

    def y(self, v: float) -> float:
        """Pixel y of face-unit y ``v`` (0 = image centre, down positive)."""
        return self.height / 2.0 + v * self.unit

    def pt(self, u: float, v: float) -> tuple[float, float]:
        return self.x(u), self.y(v)

    def len(self, d: float) -> float:
        """Pixels of a face-unit length."""
        return d * self.unit


@dataclass(frozen=True)
class Window:
    """A rectangle of pixels with the coordinates of their centres (broadcastable grids)."""

    rows: slice
    cols: slice
    x: F64
    """(1, w) pixel-centre x."""
    y: F64
    """(h, 1) pixel-centre y."""


class Canvas:
    """Premultiplied float64 RGBA canvas with 'over' compositing inside windows."""

    def __init__(self, width: int, height: int, color: Color, alpha: float = 1.0) -> None:
        self.width = width
        self.height = height
        self.rgb: F64 = np.empty((height, width, 3), dtype=np.float64)
        self.rgb[:] = np.asarray(color, dtype=np.float64) * alpha
        self.a: F64 = np.full((height, width), float(alpha), dtype=np.float64)

    def window(self, x0: float, y0: float, x1: float, y1: float, pad: float = 2.0) -> Window | None:
        """The pixels whose centres may lie within the box (x0, y0, x1, y1) grown by ``pad``."""
        c0 = max(0, math.floor(x0 - pad))
        c1 = min(self.width, math.ceil(x1 + pad))
        r0 = max(0, math.floor(y0 - pad))
        r1 = min(self.height, math.ceil(y1 + pad))
        if c0 >= c1 or r0 >= r1:
            return None
        xs = (np.arange(c0, c1, dtype=np.float64) + 0.5)[None, :]
        ys = (np.arange(r0, r1, dtype=np.float64) + 0.5)[:, None]
        return Window(slice(r0, r1), slice(c0, c1), xs, ys)

    def full(self) -> Window:
        win = self.window(0.0, 0.0, float(self.width), float(self.height), pad=0.0)
        assert win is not None
        return win

    def over(self, win: Window, color: Color | F64, cover: F64, opacity: float = 1.0) -> None:
        """Composite ``color`` with coverage ``cover`` (broadcast to the window) over the canvas.
        ``color`` is an RGB triple or an (h, w, 3) array for per-pixel colour."""
        if opacity <= 0.0:
            return
        shape = (win.rows.stop - win.rows.start, win.cols.stop - win.cols.start)
        a = np.broadcast_to(cover * opacity if opacity != 1.0 else cover, shape)
        c = np.asarray(color, dtype=np.float64)
        rgb = self.rgb[win.rows, win.cols]
        rgb *= (1.0 - a)[..., None]
        rgb += c * a[..., None]
        alpha = self.a[win.rows, win.cols]
        alpha *= 1.0 - a
        alpha += a

    def multiply(self, win: Window, factor: Color | F64, cover: F64) -> None:
        """Multiply the colour by ``factor`` (RGB or (h, w, 3)) where ``cover`` is 1, blending
        toward no change where it is 0: a glaze that keeps what lies beneath."""
        shape = (win.rows.stop - win.rows.start, win.cols.stop - win.cols.start)
        a = np.broadcast_to(cover, shape)[..., None]
        rgb = self.rgb[win.rows, win.cols]
        rgb *= 1.0 - a + a * np.asarray(factor, dtype=np.float64)

    def copy(self) -> Canvas:
        out = Canvas.__new__(Canvas)
        out.width, out.height = self.width, self.height
        out.rgb = self.rgb.copy()
        out.a = self.a.copy()
        return out

    def rgba(self) -> F64:
        """(H, W, 4) straight-alpha float64, RGB = 0 where alpha = 0."""
        out = np.empty((self.height, self.width, 4), dtype=np.float64)
        safe = np.where(self.a > 0.0, self.a, 1.0)
        out[..., :3] = np.where(self.a[..., None] > 0.0, self.rgb / safe[..., None], 0.0)
        out[..., 3] = self.a
        return np.clip(out, 0.0, 1.0)


def cover(d: F64, soft: float = 1.0) -> F64:
    """Coverage of a signed distance in pixels: an edge ``soft`` pixels wide, hard if 0."""
    if soft <= 0.0:
        return (d <= 0.0).astype(np.float64)
    out: F64 = np.clip(0.5 - d / soft, 0.0, 1.0)
    return out


def sd_ellipse(win: Window, cx: float, cy: float, rx: float, ry: float) -> F64:
    """Signed distance to an axis-aligned ellipse (first-order, exact on the boundary)."""
    rx = max(rx, 1e-6)
    ry = max(ry, 1e-6)
    qx = (win.x - cx) / rx
    qy = (win.y - cy) / ry
    f = qx * qx + qy * qy - 1.0
    g = 2.0 * np.sqrt((qx / rx) ** 2 + (qy / ry) ** 2)
    out: F64 = f / np.maximum(g, 1e-9)
    return out


def sd_box(win: Window, cx: float, cy: float, hw: float, hh: float, radius: float = 0.0) -> F64:
    """Signed distance to a rounded rectangle of half size (hw, hh) and corner radius."""
    r = min(radius, hw, hh)
    qx = np.abs(win.x - cx) - (hw - r)
    qy = np.abs(win.y - cy) - (hh - r)
    outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    inside = np.minimum(np.maximum(qx, qy), 0.0)
    out: F64 = outside + inside - r
    return out


def sd_polyline(win: Window, pts: F64, radius: F64 | float) -> F64:
    """Signed distance to a polyline of pixel points (n, 2) with per-point radius, round caps."""
    n = pts.shape[0]
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,))
    best: F64 | None = None
    for i in range(n - 1):
        ax, ay = pts[i]
        bx, by = pts[i + 1]
        ex, ey = bx - ax, by - ay
        len2 = max(ex * ex + ey * ey, 1e-12)
        px = win.x - ax
        py = win.y - ay
        t = np.clip((px * ex + py * ey) / len2, 0.0, 1.0)
        dx = px - t * ex
        dy = py - t * ey
        d = np.sqrt(dx * dx + dy * dy) - (rad[i] + t * (rad[i + 1] - rad[i]))
        best = d if best is None else np.minimum(best, d)
    assert best is not None
    return best


def sd_between(win: Window, cx: float, half_w: float, top: F64, bottom: F64) -> F64:
    """Signed distance (vertical approximation) to the area between two curves y = top(x) and
    y = bottom(x) over |x - cx| <= half_w; ``top`` and ``bottom`` are evaluated on the window."""
    d: F64 = np.maximum(np.maximum(top - win.y, win.y - bottom), np.abs(win.x - cx) - half_w)
    return d


def bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], n: int = 20
) -> F64:
    """n points on a quadratic Bézier curve (pixel coordinates)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (p0, p1, p2))
    out: F64 = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t * t * c
    return out


def bbox(pts: F64, pad: float) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of points grown by ``pad``."""
    return (
        float(pts[:, 0].min() - pad),
        float(pts[:, 1].min() - pad),
        float(pts[:, 0].max() + pad),
        float(pts[:, 1].max() + pad),
    )


def stroke(
    cv: Canvas, pts: F64, radius: F64 | float, color: Color, soft: float = 1.0, opacity: float = 1.0
) -> None:
    """Draw a polyline of pixel points with per-point radius."""
    rmax = float(np.max(radius))
    win = cv.window(*bbox(pts, rmax + soft))
    if win is not None:
        cv.over(win, color, cover(sd_polyline(win, pts, radius), soft), opacity)


def ellipse(
    cv: Canvas,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    color: Color,
    soft: float = 1.0,
    opacity: float = 1.0,
) -> None:
    win = cv.window(cx - rx - soft, cy - ry - soft, cx + rx + soft, cy + ry + soft)
    if win is not None:
        cv.over(win, color, cover(sd_ellipse(win, cx, cy, rx, ry), soft), opacity)


def value_noise(seed: int, gx: F64, gy: F64, period: int = 256) -> F64:
    """Smooth value noise in [-1, 1] at lattice coordinates (gx, gy) (broadcastable arrays).

    A seeded period × period table of uniform values, tiled, interpolated with smoothstep
    weights: the same seed and coordinates always give the same field.
    """
    lat = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(period, period))
    fx0 = np.floor(gx)
    fy0 = np.floor(gy)
    fx = gx - fx0
    fy = gy - fy0
    ix = fx0.astype(np.int64) % period
    iy = fy0.astype(np.int64) % period
    ix1 = (ix + 1) % period
    iy1 = (iy + 1) % period
    wx = fx * fx * (3.0 - 2.0 * fx)
    wy = fy * fy * (3.0 - 2.0 * fy)
    v00 = lat[iy, ix]
    v01 = lat[iy, ix1]
    v10 = lat[iy1, ix]
    v11 = lat[iy1, ix1]
    top = v00 + (v01 - v00) * wx
    bot = v10 + (v11 - v10) * wx
    out: F64 = top + (bot - top) * wy
    return out


def nearest_index(n_out: int, n_in: int) -> NDArray[np.int64]:
    """Source index of each output pixel for nearest-neighbour scaling of n_in → n_out pixels
    (pixel-centre sampling, integer arithmetic)."""
    i = np.arange(n_out, dtype=np.int64)
    out: NDArray[np.int64] = ((2 * i + 1) * n_in) // (2 * n_out)
    return out


def upscale_nearest(art: NDArray[G], width: int, height: int) -> NDArray[G]:
    """Scale an (h, w, ...) array to (height, width, ...) with nearest neighbour."""
    rows = nearest_index(height, art.shape[0])
    cols = nearest_index(width, art.shape[1])
    out: NDArray[G] = art[rows[:, None], cols[None, :]]
    return out


def shade(color: Color, k: float) -> Color:
    """``color`` scaled by ``k`` and clipped to [0, 1]."""
    return (
        min(1.0, max(0.0, color[0] * k)),
        min(1.0, max(0.0, color[1] * k)),
        min(1.0, max(0.0, color[2] * k)),
    )


def mix(a: Color, b: Color, t: float) -> Color:
    """Linear blend of two colours (t = 0: a, t = 1: b)."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)
