"""The domain-neutral content image: a line drawing of one detail vector in a fixed layout.

The content encoder never sees a photo or a character texture as *content*: it sees this
drawing, made from a detail vector (``core/detail.py``) that came either from the painter's
parameters (training) or from a real face's landmarks (``geometry.py``). The same function
draws both, so the content looks the same whichever domain it came from.

Layout: the default painter style's feature positions (``painter.DEFAULT_STYLE``), whatever
the character; black lines on white, no colours, no hair, iris, nose or blush. Drawn: both
brows, upper and lower eyelids, the upper and lower lip lines and the lower-lip contour, and
the mouth opening filled mid-grey. The geometry is the painter's own (``core/face_shapes.py``),
drawn with fixed line widths.

Output: HWC float32 RGB in [0, 1], the three channels equal (the encoders take RGB images).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import face_shapes
from ..canvas import Canvas, coverage, stroke
from ..detail import DETAIL_INDEX, check_detail
from ..painter import DEFAULT_STYLE, FaceStyle

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


def _lids(cv: Canvas, s: FaceStyle, cx: float, close: float, wide: float, smile: float) -> None:
    lid = face_shapes.lids(s, cx, close, wide, smile)
    stroke(cv, lid.upper, LINE_RADIUS, INK)
    stroke(cv, lid.lower, LINE_RADIUS * 0.7, INK)


def _lips(
    cv: Canvas, s: FaceStyle, jaw: float, smile: tuple[float, float], frown: tuple[float, float]
) -> None:
    m = face_shapes.mouth(s, jaw, smile, frown)
    hole = face_shapes.opening(cv, m)
    if hole is not None:
        cv.over(hole.rows, hole.cols, OPENING, coverage(hole.dist))
    if m.open_h > 0.0:
        stroke(cv, m.lower, LINE_RADIUS * 0.8, INK)
    stroke(cv, m.lower_lip, LINE_RADIUS * 0.7, INK)
    radius = LINE_RADIUS * (0.8 + 0.4 * np.sin(np.linspace(0.2, math.pi - 0.2, m.upper.shape[0])))
    stroke(cv, m.upper, radius, INK)


def draw_content(detail: NDArray[np.floating[Any]] | list[float], size: int) -> NDArray[np.float32]:
    """Line drawing of one detail vector: (size, size, 3) float32 in [0, 1], channels equal."""
    if not isinstance(size, int) or size < 16 or size > 4096:
        raise ValueError(f"size must be an int in [16, 4096], got {size!r}")
    d = check_detail(detail)
    if d.shape != (len(DETAIL_INDEX),):
        raise ValueError(
            f"draw_content takes one detail vector of {len(DETAIL_INDEX)} values, "
            f"got shape {d.shape}"
        )
    v = {name: float(d[i]) for name, i in DETAIL_INDEX.items()}
    s = LAYOUT
    cv = Canvas(size, PAPER)
    _lids(cv, s, 0.5 - s.eye_spacing, v["eye_close_r"], v["eye_wide"], v["smile_r"])
    _lids(cv, s, 0.5 + s.eye_spacing, v["eye_close_l"], v["eye_wide"], v["smile_l"])
    for side, raise_ in ((-1.0, v["brow_raise_r"]), (1.0, v["brow_raise_l"])):
        stroke(cv, face_shapes.brow(s, side, raise_, v["brow_furrow"]), BROW_RADIUS, INK)
    _lips(cv, s, v["jaw_open"], (v["smile_r"], v["smile_l"]), (v["frown_r"], v["frown_l"]))
    out: NDArray[np.float32] = np.clip(cv.rgb, 0.0, 1.0).astype(np.float32)
    return out


def draw_contents(details: NDArray[np.floating[Any]], size: int) -> NDArray[np.float32]:
    """(B, 11) → (B, size, size, 3)."""
    d = check_detail(details)
    if d.ndim != 2:
        raise ValueError(
            f"draw_contents takes (B, {len(DETAIL_INDEX)}) detail vectors, got shape {d.shape}"
        )
    out = np.empty((d.shape[0], size, size, 3), dtype=np.float32)
    for k in range(d.shape[0]):
        out[k] = draw_content(d[k], size)
    return out
