"""The ``painter`` family: moodrig's own toon painter (``core/painter.py``) as one family.

The painter draws square faces; a non-square size gets a square face of the shorter side,
centred, with the edge pixels repeated outward (hair continues at the top, skin elsewhere), so
the result is still exact. Feature points come from the FaceStyle fields, in the painter's own
geometry at the neutral expression.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...core.painter import FaceStyle, expression_region, paint_face
from ...core.painter import feature_points as painter_points
from ...core.painter import random_style as _painter_random_style
from .base import FaceSample, Size, check_one_expression, parse_size
from .base import points_array as _points_array

MIN_SIZE = 16


def random_style(rng: np.random.Generator) -> FaceStyle:
    """The painter's own random style."""
    return _painter_random_style(rng)


def _placement(width: int, height: int) -> tuple[int, int, int]:
    """(side, x offset, y offset) of the painted square inside the image."""
    side = min(width, height)
    return side, (width - side) // 2, (height - side) // 2


def render(style: FaceStyle, expression: Any, size: Size) -> FaceSample:
    """Render one face: (H, W, 4) float32 RGBA and its neutral feature points."""
    width, height = parse_size(size, MIN_SIZE)
    e = check_one_expression(expression).astype(np.float32)
    side, ox, oy = _placement(width, height)
    square = paint_face(style, e, side)
    image = np.pad(square, ((oy, height - side - oy), (ox, width - side - ox), (0, 0)), mode="edge")
    return FaceSample(image=image, points=feature_points(style, (width, height)))


def region(style: FaceStyle, size: Size) -> NDArray[np.bool_]:
    """(H, W) bool: the painter's expression region, placed like the painted square.

    Edge repetition copies border pixels outward; the painter's region never reaches the border
    of its square except through its own boxes, and the repeated copies of a border pixel are
    marked with it."""
    width, height = parse_size(size, MIN_SIZE)
    side, ox, oy = _placement(width, height)
    inner = expression_region(style, side)
    out: NDArray[np.bool_] = np.pad(
        inner, ((oy, height - side - oy), (ox, width - side - ox)), mode="edge"
    )
    return out


def feature_points(style: FaceStyle, size: Size) -> NDArray[np.float32]:
    """(7, 2) neutral feature points in image pixels, from the painter's geometry."""
    width, height = parse_size(size, MIN_SIZE)
    side, ox, oy = _placement(width, height)
    pts = painter_points(style, side)
    return _points_array({name: (ox + x, oy + y) for name, (x, y) in pts.items()})


__all__ = ["FaceStyle", "feature_points", "random_style", "region", "render"]
