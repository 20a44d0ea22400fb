"""The plumbing shared by the canvas-drawn families (anime, flat, painterly): render, region,
layers and feature points from four per-family functions.

A family supplies ``static`` (everything no expression changes, drawn on a fresh canvas),
``eye``, ``brow`` and ``mouth`` (the expression shapes, drawn over it in that order), ``boxes``
(pixel boxes bounding every expression shape at any expression) and ``points`` (the neutral
feature points). Rendering keeps
the drawn canvas inside the union of the boxes and the static canvas outside it, then applies the
optional pixelwise ``post`` step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from .base import FaceSample, Size, boxes_mask, check_one_expression, compose, parse_size
from .base import points_array as _points_array
from .raster import Canvas, Frame

S = TypeVar("S")
F64 = NDArray[np.float64]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CanvasFamily(Generic[S]):
    """A family drawn on a :class:`raster.Canvas` in face units."""

    static: Callable[[S, Frame], Canvas]
    """Style, frame → the canvas before any expression shape."""
    eye: Callable[[Canvas, S, Frame, float, float, float, float], None]
    """Draw one eye: (canvas, style, frame, side, close, wide, smile); side -1 is the image's
    left (the character's right)."""
    brow: Callable[[Canvas, S, Frame, float, float, float], None]
    """Draw one brow: (canvas, style, frame, side, raise, furrow)."""
    mouth: Callable[[Canvas, S, Frame, float, float, float], None]
    """Draw the mouth: (canvas, style, frame, jaw_open, smile, frown)."""
    boxes: Callable[[S, Frame], list[Box]]
    """Pixel boxes (x0, y0, x1, y1) that bound every expression shape at any expression."""
    points: Callable[[S, Frame], dict[str, tuple[float, float]]]
    """The neutral feature points, by name, in pixels."""
    min_size: int
    """Smallest width or height."""
    post: Callable[[S, Frame, F64], F64] | None = None
    """Optional pixelwise finishing step on the composed (H, W, 4) float64 image."""

    def region(self, style: S, size: Size) -> NDArray[np.bool_]:
        """(H, W) bool: the pixels some expression can change."""
        width, height = parse_size(size, self.min_size)
        return boxes_mask(self.boxes(style, Frame(width, height)), width, height)

    def layers(self, style: S, expression: Any, size: Size) -> tuple[F64, F64]:
        """(static, drawn) RGBA before the region and the finishing step are applied."""
        width, height = parse_size(size, self.min_size)
        f = Frame(width, height)
        cv = self.static(style, f)
        static = cv.rgba()
        e = check_one_expression(expression)
        jaw, smile, frown, raise_, furrow, close_l, close_r, wide = (float(v) for v in e)
        self.eye(cv, style, f, -1.0, close_r, wide, smile)
        self.eye(cv, style, f, 1.0, close_l, wide, smile)
        self.brow(cv, style, f, -1.0, raise_, furrow)
        self.brow(cv, style, f, 1.0, raise_, furrow)
        self.mouth(cv, style, f, jaw, smile, frown)
        return static, cv.rgba()

    def render(self, style: S, expression: Any, size: Size) -> FaceSample:
        """One face: (H, W, 4) float32 RGBA and its neutral feature points."""
        width, height = parse_size(size, self.min_size)
        static, drawn = self.layers(style, expression, (width, height))
        image = compose(static, drawn, self.region(style, (width, height)))
        if self.post is not None:
            image = self.post(style, Frame(width, height), image)
        return FaceSample(
            image=image.astype(np.float32), points=self.feature_points(style, (width, height))
        )

    def feature_points(self, style: S, size: Size) -> NDArray[np.float32]:
        """(7, 2) neutral feature points in image pixels."""
        width, height = parse_size(size, self.min_size)
        return _points_array(self.points(style, Frame(width, height)))
