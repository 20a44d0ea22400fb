"""Frozen copy of core/painter.py as of commit b057474 (before per-side detail vectors), kept only so
tests can check that paint_face stays bit-identical. Never edit.

Parametric 2D toon-face painter: (style, expression) → RGBA face texture.

This is moodrig's ground truth: AMEE-GAN trains on it and is evaluated against it, and the demo
character wears it. Output is exact and deterministic for a given (style, expression, size):
pure float64 numpy arithmetic, no randomness, no platform-dependent resampling.

Coordinates are normalised: u in [0, 1] left → right, v in [0, 1] top → bottom of the image,
pixel centres at (i + 0.5) / size. The face looks at the viewer, so the character's *left*
eye (``eye_close_l``) is drawn on the image's right half. Everything outside the expression
region (eyes, brows, mouth, cheeks, furrow) is independent of the expression vector: pixels
there are bit-identical for any expression, which is what AMEE-GAN's mask must learn.

Antialiasing: each shape's coverage is ``clip(0.5 - d, 0, 1)`` of its signed distance ``d`` in
pixels, so edges are one pixel wide at any resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import INDEX, check_expression

Color = tuple[float, float, float]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class FaceStyle:
    """Everything that makes one character look like itself. Lengths are fractions of the image."""

    skin: Color = (0.96, 0.80, 0.68)
    """Skin RGB in [0, 1]."""
    line: Color = (0.18, 0.11, 0.09)
    """Ink colour of outlines and brows."""
    line_weight: float = 0.010
    """Outline thickness, fraction of the image width (0.004 – 0.018)."""
    hair: Color = (0.30, 0.18, 0.10)
    """Hair RGB."""
    fringe: float = 0.22
    """How far the fringe reaches down from the top (0.10 – 0.30)."""
    fringe_waves: int = 3
    """Number of locks along the fringe edge (1 – 6)."""
    eye_y: float = 0.47
    """Vertical centre of the eyes."""
    eye_spacing: float = 0.17
    """Horizontal distance of each eye centre from the middle."""
    eye_width: float = 0.085
    """Half width of an eye."""
    eye_height: float = 0.050
    """Half height of an open eye (above the centre line)."""
    iris: Color = (0.25, 0.45, 0.70)
    """Iris RGB."""
    iris_size: float = 0.60
    """Iris radius relative to the eye's half height (0.45 – 0.8)."""
    brow_gap: float = 0.060
    """Height of the brows above the eyes."""
    brow_weight: float = 0.018
    """Brow thickness at its thickest."""
    brow: Color = (0.25, 0.15, 0.08)
    """Brow RGB."""
    mouth_y: float = 0.74
    """Vertical position of the mouth line."""
    mouth_width: float = 0.11
    """Half width of the mouth."""
    lip: Color = (0.78, 0.38, 0.38)
    """Lip RGB."""
    blush: float = 0.35
    """Strength of the cheek blush (0 – 0.6); rises with the smile."""
    nose_size: float = 0.035
    """Length of the nose stroke."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if not math.isfinite(float(item)):
                    raise ValueError(f"FaceStyle.{f.name} must be finite")
            if isinstance(value, tuple) and (len(value) != 3 or not all(0.0 <= c <= 1.0 for c in value)):
                raise ValueError(f"FaceStyle.{f.name} must be an RGB triple in [0, 1]")
        if self.fringe_waves < 1:
            raise ValueError("FaceStyle.fringe_waves must be at least 1")


def random_style(rng: np.random.Generator) -> FaceStyle:
    """Draw a plausible random style; same generator state → same style."""

    def rgb(lo: float, hi: float) -> Color:
        c = rng.uniform(lo, hi, size=3)
        return (float(c[0]), float(c[1]), float(c[2]))

    skin_base = rng.uniform(0.35, 0.98)
    skin = (
        float(min(1.0, skin_base + rng.uniform(0.0, 0.05))),
        float(skin_base * rng.uniform(0.72, 0.86)),
        float(skin_base * rng.uniform(0.55, 0.75)),
    )
    return FaceStyle(
        skin=skin,
        line=rgb(0.0, 0.25),
        line_weight=float(rng.uniform(0.005, 0.016)),
        hair=rgb(0.02, 0.85),
        fringe=float(rng.uniform(0.12, 0.28)),
        fringe_waves=int(rng.integers(1, 7)),
        eye_y=float(rng.uniform(0.44, 0.50)),
        eye_spacing=float(rng.uniform(0.15, 0.19)),
        eye_width=float(rng.uniform(0.065, 0.095)),
        eye_height=float(rng.uniform(0.035, 0.060)),
        iris=rgb(0.05, 0.8),
        iris_size=float(rng.uniform(0.45, 0.8)),
        brow_gap=float(rng.uniform(0.050, 0.075)),
        brow_weight=float(rng.uniform(0.010, 0.024)),
        brow=rgb(0.0, 0.6),
        mouth_y=float(rng.uniform(0.71, 0.77)),
        mouth_width=float(rng.uniform(0.08, 0.13)),
        lip=rgb(0.45, 0.9),
        blush=float(rng.uniform(0.0, 0.6)),
        nose_size=float(rng.uniform(0.025, 0.045)),
    )


DEFAULT_STYLE = FaceStyle()


# --------------------------------------------------------------------------- canvas + shapes


class _Canvas:
    """Float64 RGB canvas with 'over' compositing restricted to bounding boxes."""

    def __init__(self, size: int, background: Color) -> None:
        self.size = size
        self.rgb = np.empty((size, size, 3), dtype=np.float64)
        self.rgb[:] = background

    def window(self, u0: float, v0: float, u1: float, v1: float) -> tuple[slice, slice, F64, F64] | None:
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


def _coverage(signed_dist_px: NDArray[Any]) -> F64:
    out: F64 = np.clip(0.5 - signed_dist_px.astype(np.float64, copy=False), 0.0, 1.0)
    return out


def _bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], n: int = 24) -> F64:
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (p0, p1, p2))
    pts: F64 = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c
    return pts


def _stroke(cv: _Canvas, pts: F64, radius: F64 | float, color: Color, opacity: float = 1.0) -> None:
    """Draw a polyline (normalised points) with per-point radius (normalised), round caps."""
    if opacity <= 0.0:
        return
    n = cv.size
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (pts.shape[0],)) * n
    pad = float(rad.max()) / n
    win = cv.window(pts[:, 0].min() - pad, pts[:, 1].min() - pad, pts[:, 0].max() + pad, pts[:, 1].max() + pad)
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
    cv.over(rows, cols, color, _coverage(dist.min(axis=-1)) * opacity)


def _ellipse(cv: _Canvas, cx: float, cy: float, rx: float, ry: float, color: Color, opacity: float = 1.0,
             clip: F64 | None = None, clip_win: tuple[slice, slice] | None = None) -> None:
    """Filled ellipse (approximate signed distance, exact on the axes)."""
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
    alpha = _coverage(dist) * opacity
    if clip is not None and clip_win is not None:
        alpha = alpha * _crop(clip, clip_win, (rows, cols))
    cv.over(rows, cols, color, alpha)


def _crop(mask: F64, mask_win: tuple[slice, slice], win: tuple[slice, slice]) -> F64:
    """Values of ``mask`` (defined on ``mask_win``) over ``win``; zero outside ``mask_win``."""
    out = np.zeros((win[0].stop - win[0].start, win[1].stop - win[1].start))
    r0 = max(win[0].start, mask_win[0].start)
    r1 = min(win[0].stop, mask_win[0].stop)
    c0 = max(win[1].start, mask_win[1].start)
    c1 = min(win[1].stop, mask_win[1].stop)
    if r0 < r1 and c0 < c1:
        out[r0 - win[0].start : r1 - win[0].start, c0 - win[1].start : c1 - win[1].start] = mask[
            r0 - mask_win[0].start : r1 - mask_win[0].start, c0 - mask_win[1].start : c1 - mask_win[1].start
        ]
    return out


def _lens(cv: _Canvas, cx: float, cy: float, half_w: float, up: float, down: float, color: Color
          ) -> tuple[F64, tuple[slice, slice]] | None:
    """Fill the region between two parabolic lids through (cx ± half_w, cy); returns its coverage."""
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
    cover = _coverage(dist)
    cv.over(rows, cols, color, cover)
    return cover, (rows, cols)


# --------------------------------------------------------------------------- the face


def _hair(cv: _Canvas, s: FaceStyle) -> None:
    win = cv.window(0.0, 0.0, 1.0, s.fringe + 0.05)
    if win is None:
        return
    rows, cols, xs, ys = win
    n = cv.size
    u = xs / n
    waves = 0.5 + 0.5 * np.cos(u * 2.0 * math.pi * s.fringe_waves)
    edge = s.fringe - 0.045 * waves - 0.06 * (2.0 * u - 1.0) ** 2
    cv.over(rows, cols, s.hair, _coverage((ys / n - edge) * n))


def _eye(cv: _Canvas, s: FaceStyle, cx: float, close: float, wide: float, smile: float) -> None:
    lw = s.line_weight / 2
    openness = (1.0 - close) * (1.0 + 0.45 * wide) * (1.0 - 0.3 * smile)
    up = s.eye_height * openness
    down = s.eye_height * 0.55 * (1.0 - close) * (1.0 - 0.45 * smile) * (1.0 + 0.25 * wide)
    cy = s.eye_y
    region = _lens(cv, cx, cy, s.eye_width, up, down, (0.97, 0.97, 0.96))
    if region is not None:
        cover, win = region
        iris_r = s.eye_height * s.iris_size * (1.0 - 0.2 * wide)
        iris_cy = cy - 0.15 * up
        _ellipse(cv, cx, iris_cy, iris_r, iris_r, s.iris, clip=cover, clip_win=win)
        _ellipse(cv, cx, iris_cy, iris_r * 0.45, iris_r * 0.45, (0.03, 0.03, 0.04), clip=cover, clip_win=win)
        _ellipse(cv, cx + iris_r * 0.35, iris_cy - iris_r * 0.35, iris_r * 0.2, iris_r * 0.2, (1.0, 1.0, 1.0),
                 opacity=0.9, clip=cover, clip_win=win)
    x0, x1 = cx - s.eye_width, cx + s.eye_width
    upper = _bezier((x0, cy), (cx, cy - 2.0 * up), (x1, cy))
    lower = _bezier((x0, cy), (cx, cy + 2.0 * down), (x1, cy))
    taper = np.sin(np.linspace(0.15, math.pi - 0.15, upper.shape[0]))
    _stroke(cv, upper, lw * (0.6 + 0.9 * taper), s.line)
    _stroke(cv, lower, lw * 0.45 * taper + 1e-4, s.line, opacity=0.8)


def _brow(cv: _Canvas, s: FaceStyle, side: float, raise_: float, furrow: float) -> None:
    """side = -1 for the image-left brow, +1 for the image-right one."""
    cx = 0.5 + side * s.eye_spacing
    base = s.eye_y - s.eye_height - s.brow_gap
    lift = 0.045 * raise_
    inner = (cx - side * s.eye_width * (0.95 - 0.25 * furrow), base - lift + 0.030 * furrow)
    outer = (cx + side * s.eye_width * 1.05, base - 0.6 * lift + 0.012)
    mid = (cx + side * 0.01, base - lift - 0.02 - 0.025 * raise_ + 0.012 * furrow)
    pts = _bezier(inner, mid, outer)
    thick = s.brow_weight / 2 * (0.55 + 0.6 * np.sin(np.linspace(0.3, math.pi - 0.5, pts.shape[0])))
    _stroke(cv, pts, thick, s.brow)


def _mouth(cv: _Canvas, s: FaceStyle, jaw: float, smile: float, frown: float) -> None:
    lw = s.line_weight / 2
    cx, my = 0.5, s.mouth_y
    half_w = s.mouth_width * (1.0 + 0.25 * smile - 0.1 * frown)
    corner_dy = -0.035 * smile + 0.030 * frown
    open_h = 0.075 * jaw
    x0, x1 = cx - half_w, cx + half_w
    # The upper line bows with the corners; the opening hangs below it.
    upper = _bezier((x0, my + corner_dy), (cx, my - corner_dy), (x1, my + corner_dy))
    if open_h > 0.0:
        win = cv.window(x0, my - abs(corner_dy), x1, my + abs(corner_dy) + open_h * 1.2)
        if win is not None:
            rows, cols, xs, ys = win
            n = cv.size
            tx = np.clip((xs / n - cx) / half_w, -1.0, 1.0)
            line = my + corner_dy * (2 * tx * tx - 1)  # the Bézier above, in closed form
            bottom = line + open_h * (1.0 - tx * tx)
            y = ys / n
            dist = np.maximum(np.maximum(line - y, y - bottom), np.abs(xs / n - cx) - half_w) * n
            inside = _coverage(dist)
            cv.over(rows, cols, (0.35, 0.08, 0.10), inside)
            teeth = inside * _coverage((y - (line + 0.22 * open_h * (1 - tx * tx) + 0.004)) * n)
            cv.over(rows, cols, (0.98, 0.97, 0.93), teeth)
            tongue_r = 0.45 * open_h
            _ellipse(cv, cx, my + open_h * 0.95, half_w * 0.55, tongue_r, (0.85, 0.40, 0.42),
                     clip=inside, clip_win=(rows, cols))
    lower_lip = _bezier((x0 + 0.2 * half_w, my + open_h + 0.018 + 0.5 * corner_dy),
                        (cx, my + open_h * 1.15 + 0.032 - 0.3 * corner_dy),
                        (x1 - 0.2 * half_w, my + open_h + 0.018 + 0.5 * corner_dy))
    _stroke(cv, lower_lip, 0.010, s.lip, opacity=0.8)
    lower = _bezier((x0, my + corner_dy), (cx, my + 2.0 * open_h - corner_dy), (x1, my + corner_dy))
    if open_h > 0.0:
        _stroke(cv, lower, lw * 0.8, s.line)
    _stroke(cv, upper, lw * (0.7 + 0.5 * np.sin(np.linspace(0.2, math.pi - 0.2, upper.shape[0]))), s.line)


def paint_face(style: FaceStyle, expression: NDArray[np.floating[Any]] | list[float], size: int) -> NDArray[np.float32]:
    """Paint one face texture: float32 RGBA (size, size, 4) in [0, 1], alpha = 1."""
    if not isinstance(size, int) or size < 16 or size > 8192:
        raise ValueError(f"size must be an int in [16, 8192], got {size!r}")
    e = check_expression(expression)
    if e.shape != (8,):
        raise ValueError(f"paint_face takes one expression vector of 8 values, got shape {e.shape}")
    ev = {name: float(e[i]) for name, i in INDEX.items()}
    s = style
    cv = _Canvas(size, s.skin)
    _hair(cv, s)
    # Nose: static.
    nose = _bezier((0.5 - 0.004, 0.58), (0.5 + 0.012, 0.58 + s.nose_size * 0.8), (0.5 - 0.012, 0.58 + s.nose_size))
    _stroke(cv, nose, s.line_weight * 0.3, s.line, opacity=0.7)
    # Cheeks: blush rises and grows with the smile.
    for side in (-1.0, 1.0):
        _ellipse(cv, 0.5 + side * (s.eye_spacing + 0.02), s.eye_y + 0.13 - 0.025 * ev["smile"],
                 0.055 * (1 + 0.2 * ev["smile"]), 0.03 * (1 + 0.2 * ev["smile"]), (0.95, 0.45, 0.45),
                 opacity=s.blush * (0.35 + 0.65 * ev["smile"]))
    # Furrow between the brows.
    if ev["brow_furrow"] > 0.0:
        top = s.eye_y - s.eye_height - s.brow_gap - 0.005
        for dx in (-0.012, 0.012):
            _stroke(cv, _bezier((0.5 + dx, top), (0.5 + 1.6 * dx, top + 0.02), (0.5 + dx, top + 0.04), 8),
                    s.line_weight * 0.22, s.line, opacity=0.8 * ev["brow_furrow"])
    _eye(cv, s, 0.5 - s.eye_spacing, ev["eye_close_r"], ev["eye_wide"], ev["smile"])
    _eye(cv, s, 0.5 + s.eye_spacing, ev["eye_close_l"], ev["eye_wide"], ev["smile"])
    _brow(cv, s, -1.0, ev["brow_raise"], ev["brow_furrow"])
    _brow(cv, s, 1.0, ev["brow_raise"], ev["brow_furrow"])
    _mouth(cv, s, ev["jaw_open"], ev["smile"], ev["frown"])
    out = np.ones((size, size, 4), dtype=np.float32)
    out[..., :3] = np.clip(cv.rgb, 0.0, 1.0)
    return out


def expression_region(style: FaceStyle, size: int) -> NDArray[np.bool_]:
    """Pixels that some expression can change: boxes bounding every expression-driven shape.

    Each box bounds its shapes over the whole parameter range (control points are multilinear in
    the parameters, so their extremes lie at the corners used below), padded by the stroke
    radius and the 2-pixel drawing margin. Everything outside is bit-identical for any expression.
    """
    s = style
    n = size
    pad = 3.0 / n
    lw = s.line_weight
    boxes: list[tuple[float, float, float, float]] = []
    up_max = s.eye_height * 1.45
    down_max = s.eye_height * 0.55 * 1.25
    for side in (-1.0, 1.0):
        cx = 0.5 + side * s.eye_spacing
        boxes.append((cx - s.eye_width - lw, s.eye_y - up_max - lw, cx + s.eye_width + lw, s.eye_y + down_max + lw))
        base = s.eye_y - s.eye_height - s.brow_gap
        xs = [cx - side * s.eye_width * 0.95, cx - side * s.eye_width * 0.70, cx + side * s.eye_width * 1.05, cx + side * 0.01]
        ys = [base - 0.045 - 0.02 - 0.025, base + 0.030 + 0.012, base + 0.012, base - 0.02 - 0.045 - 0.025]
        boxes.append((min(xs) - s.brow_weight, min(ys) - s.brow_weight, max(xs) + s.brow_weight, max(ys) + s.brow_weight))
        ccx = 0.5 + side * (s.eye_spacing + 0.02)
        boxes.append((ccx - 0.066, s.eye_y + 0.13 - 0.025 - 0.036, ccx + 0.066, s.eye_y + 0.13 + 0.036))
    top = s.eye_y - s.eye_height - s.brow_gap - 0.005
    boxes.append((0.5 - 0.03, top - lw, 0.5 + 0.03, top + 0.04 + lw))
    half_w = s.mouth_width * 1.25
    boxes.append((0.5 - half_w - lw, s.mouth_y - 0.035 - lw, 0.5 + half_w + lw, s.mouth_y + 0.075 * 2.0 + 0.035 + 0.032 + 0.01 + lw))
    region = np.zeros((n, n), dtype=bool)
    for u0, v0, u1, v1 in boxes:
        c0 = max(0, math.floor((u0 - pad) * n))
        c1 = min(n, math.ceil((u1 + pad) * n))
        r0 = max(0, math.floor((v0 - pad) * n))
        r1 = min(n, math.ceil((v1 + pad) * n))
        region[r0:r1, c0:c1] = True
    return region
