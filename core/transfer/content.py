"""The domain-neutral content image: a line drawing of one detail vector in a fixed layout.

The content encoder never sees a photo or a character texture as *content*: it sees this
drawing, made from a detail vector (``core/detail.py``) that came either from the painter's
parameters (training) or from a real face's landmarks (``geometry.py``). The same function
draws both, so the content looks the same whichever domain it came from.

Layout: the default painter style's feature positions (``painter.DEFAULT_STYLE``), whatever
the character; black lines on white, no colours, no hair, iris, nose or blush. Drawn: both
brows, upper and lower eyelids, the upper and lower lip lines and the lower-lip contour, and
the mouth opening filled mid-grey. The geometry follows the painter's own formulas (same
control points as ``painter._eye``, ``_brow`` and ``_mouth``), with fixed line widths.

Output: HWC float32 RGB in [0, 1], the three channels equal (the encoders take RGB images).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..detail import DETAIL_INDEX, check_detail
from ..painter import DEFAULT_STYLE, FaceStyle, _bezier, _Canvas, _coverage, _stroke

INK: tuple[float, float, float] = (0.0, 0.0, 0.0)
PAPER: tuple[float, float, float] = (1.0, 1.0, 1.0)
OPENING: tuple[float, float, float] = (0.5, 0.5, 0.5)
LINE_RADIUS = 0.009
"""Half width of every line, fraction of the image (≈ 1.2 px wide at 64 px)."""
BROW_RADIUS = 0.012
"""Half width of the brow strokes."""

LAYOUT: FaceStyle = DEFAULT_STYLE
"""Feature positions of the canonical drawing."""
LAYOUT_VERSION = 1
"""Bump whenever the drawing changes: weights record the version they were trained on."""


def _lids(cv: _Canvas, s: FaceStyle, cx: float, close: float, wide: float, smile: float) -> None:
    openness = (1.0 - close) * (1.0 + 0.45 * wide) * (1.0 - 0.3 * smile)
    up = s.eye_height * openness
    down = s.eye_height * 0.55 * (1.0 - close) * (1.0 - 0.45 * smile) * (1.0 + 0.25 * wide)
    cy = s.eye_y
    x0, x1 = cx - s.eye_width, cx + s.eye_width
    _stroke(cv, _bezier((x0, cy), (cx, cy - 2.0 * up), (x1, cy)), LINE_RADIUS, INK)
    _stroke(cv, _bezier((x0, cy), (cx, cy + 2.0 * down), (x1, cy)), LINE_RADIUS * 0.7, INK)


def _brow_line(cv: _Canvas, s: FaceStyle, side: float, raise_: float, furrow: float) -> None:
    cx = 0.5 + side * s.eye_spacing
    base = s.eye_y - s.eye_height - s.brow_gap
    lift = 0.045 * raise_
    inner = (cx - side * s.eye_width * (0.95 - 0.25 * furrow), base - lift + 0.030 * furrow)
    outer = (cx + side * s.eye_width * 1.05, base - 0.6 * lift + 0.012)
    mid = (cx + side * 0.01, base - lift - 0.02 - 0.025 * raise_ + 0.012 * furrow)
    _stroke(cv, _bezier(inner, mid, outer), BROW_RADIUS, INK)


def _lips(cv: _Canvas, s: FaceStyle, jaw: float, smile: tuple[float, float], frown: tuple[float, float]) -> None:
    my = s.mouth_y
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
    if open_h > 0.0:
        reach = max(abs(dy_l), abs(dy_r))
        win = cv.window(x0, my - reach, x1, my + reach + open_h * 1.2)
        if win is not None:
            rows, cols, xs, ys = win
            n = cv.size
            tx = np.clip((xs / n - cx) / half_w, -1.0, 1.0)
            line = my + (corner_dy + slope * tx) * (2 * tx * tx - 1)
            bottom = line + open_h * (1.0 - tx * tx)
            y = ys / n
            dist = np.maximum(np.maximum(line - y, y - bottom), np.abs(xs / n - cx) - half_w) * n
            cv.over(rows, cols, OPENING, _coverage(dist))
        _stroke(cv, _bezier((x0, my + dy_r), (cx, my + 2.0 * open_h - corner_dy), (x1, my + dy_l)), LINE_RADIUS * 0.8, INK)
    lower_lip = _bezier((x0 + 0.2 * half_w, my + open_h + 0.018 + 0.5 * dy_r),
                        (cx, my + open_h * 1.15 + 0.032 - 0.3 * corner_dy),
                        (x1 - 0.2 * half_w, my + open_h + 0.018 + 0.5 * dy_l))
    _stroke(cv, lower_lip, LINE_RADIUS * 0.7, INK)
    upper = _bezier((x0, my + dy_r), (cx, my - corner_dy), (x1, my + dy_l))
    _stroke(cv, upper, LINE_RADIUS * (0.8 + 0.4 * np.sin(np.linspace(0.2, math.pi - 0.2, upper.shape[0]))), INK)


def draw_content(detail: NDArray[np.floating[Any]] | list[float], size: int) -> NDArray[np.float32]:
    """Line drawing of one detail vector: (size, size, 3) float32 in [0, 1], channels equal."""
    if not isinstance(size, int) or size < 16 or size > 4096:
        raise ValueError(f"size must be an int in [16, 4096], got {size!r}")
    d = check_detail(detail)
    if d.shape != (len(DETAIL_INDEX),):
        raise ValueError(f"draw_content takes one detail vector of {len(DETAIL_INDEX)} values, got shape {d.shape}")
    v = {name: float(d[i]) for name, i in DETAIL_INDEX.items()}
    s = LAYOUT
    cv = _Canvas(size, PAPER)
    _lids(cv, s, 0.5 - s.eye_spacing, v["eye_close_r"], v["eye_wide"], v["smile_r"])
    _lids(cv, s, 0.5 + s.eye_spacing, v["eye_close_l"], v["eye_wide"], v["smile_l"])
    _brow_line(cv, s, -1.0, v["brow_raise_r"], v["brow_furrow"])
    _brow_line(cv, s, 1.0, v["brow_raise_l"], v["brow_furrow"])
    _lips(cv, s, v["jaw_open"], (v["smile_r"], v["smile_l"]), (v["frown_r"], v["frown_l"]))
    out: NDArray[np.float32] = np.clip(cv.rgb, 0.0, 1.0).astype(np.float32)
    return out


def draw_contents(details: NDArray[np.floating[Any]], size: int) -> NDArray[np.float32]:
    """(B, 11) → (B, size, size, 3)."""
    d = check_detail(details)
    if d.ndim != 2:
        raise ValueError(f"draw_contents takes (B, {len(DETAIL_INDEX)}) detail vectors, got shape {d.shape}")
    out = np.empty((d.shape[0], size, size, 3), dtype=np.float32)
    for k in range(d.shape[0]):
        out[k] = draw_content(d[k], size)
    return out
