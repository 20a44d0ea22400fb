"""What every face-style family produces, and the names of its feature points.

A family is independent drawing code for one look (pixel art, anime, ...). Each family has a
random style sampler and a renderer ``(style, expression, size) -> FaceSample``. Rendering is
exact and deterministic (float64 numpy arithmetic, no resampling except integer nearest
neighbour), and for a fixed style the pixels outside the family's expression region are
bit-identical for every expression.

Image layout: ``FaceSample.image`` is float32 RGBA, shape (H, W, 4), values in [0, 1], straight
(not premultiplied) alpha; RGB is 0 where alpha is 0.

Feature points: ``FaceSample.points`` is float32, shape (7, 2), rows in the order of
:data:`FEATURE_NAMES`, each row (x, y) in pixels of the image: x to the right, y down, the
centre of pixel (row i, column j) at (j + 0.5, i + 0.5). They are the points of the style's
NEUTRAL geometry and do not move with the expression (a locator finds them on a neutral face).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...core.expression import N_EXPRESSION, check_expression

FEATURE_NAMES: tuple[str, ...] = (
    "eye_r",
    "eye_l",
    "brow_r",
    "brow_l",
    "mouth_r",
    "mouth_l",
    "mouth_c",
)
"""Feature points, in this order. ``_r`` is the character's right (the image's LEFT on a face
looking at the viewer), ``_l`` the character's left (image right): the same convention as
``eye_close_r`` / ``eye_close_l`` in ``core/expression.py``.

- ``eye_r``, ``eye_l``: centre of each eye (of the open eye's visible shape).
- ``brow_r``, ``brow_l``: middle of each eyebrow.
- ``mouth_r``, ``mouth_l``: the two corners of the closed mouth line.
- ``mouth_c``: the middle of the closed mouth line.
"""
N_FEATURES = len(FEATURE_NAMES)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}

Size = int | tuple[int, int]
"""A face size: one int (square) or (width, height) in pixels."""


@dataclass(frozen=True)
class FaceSample:
    """One rendered face."""

    image: NDArray[np.float32]
    """(H, W, 4) float32 RGBA in [0, 1], straight alpha."""
    points: NDArray[np.float32]
    """(7, 2) float32 pixel coordinates (x, y) of :data:`FEATURE_NAMES`, neutral geometry."""


@dataclass(frozen=True)
class Family:
    """One face-style family: how to draw a random style and how to render it."""

    name: str
    """Short name (``pixel``, ``anime``, ...)."""
    random_style: Callable[[np.random.Generator], Any]
    """Draw a style; same generator state → same style."""
    render: Callable[[Any, NDArray[np.floating[Any]], Size], FaceSample]
    """(style, expression (8,), size) → FaceSample."""
    region: Callable[[Any, Size], NDArray[np.bool_]]
    """(style, size) → (H, W) bool: the pixels some expression can change."""
    min_size: int
    """Smallest width or height the family renders."""
    layers: (
        Callable[[Any, NDArray[np.floating[Any]], Size], tuple[NDArray[Any], NDArray[Any]]] | None
    )
    """(style, expression, size) → (static, drawn): the canvas before and after the expression
    shapes were drawn, before the region is applied (None for a family that has no such split).
    ``drawn`` equals ``static`` outside the region when the region bounds every shape."""


def parse_size(size: Size, min_size: int = 8) -> tuple[int, int]:
    """(width, height) of a size given as an int or a pair; ValueError when out of range."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        w = h = int(size)
    elif (
        isinstance(size, tuple)
        and len(size) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    ):
        w, h = int(size[0]), int(size[1])
    else:
        raise ValueError(f"size must be an int or a (width, height) pair of ints, got {size!r}")
    if not (min_size <= w <= 8192 and min_size <= h <= 8192):
        raise ValueError(f"size {w}x{h} is outside [{min_size}, 8192] pixels")
    return w, h


def check_one_expression(
    expression: NDArray[np.floating[Any]] | list[float],
) -> NDArray[np.float64]:
    """One validated expression vector (8,) as float64."""
    e = check_expression(expression)
    if e.shape != (N_EXPRESSION,):
        raise ValueError(
            f"one expression vector of {N_EXPRESSION} values expected, got shape {e.shape}"
        )
    out: NDArray[np.float64] = e.astype(np.float64)
    return out


def points_array(points: dict[str, tuple[float, float]]) -> NDArray[np.float32]:
    """(7, 2) float32 array from a name → (x, y) mapping holding every feature name."""
    missing = set(FEATURE_NAMES) - set(points)
    if missing:
        raise ValueError(f"feature points missing: {sorted(missing)}")
    return np.array([points[n] for n in FEATURE_NAMES], dtype=np.float32)


def boxes_mask(
    boxes: list[tuple[float, float, float, float]], width: int, height: int
) -> NDArray[np.bool_]:
    """(H, W) bool mask of the union of pixel boxes (x0, y0, x1, y1), rounded outward."""
    mask = np.zeros((height, width), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        c0 = max(0, int(np.floor(x0)))
        c1 = min(width, int(np.ceil(x1)))
        r0 = max(0, int(np.floor(y0)))
        r1 = min(height, int(np.ceil(y1)))
        if c0 < c1 and r0 < r1:
            mask[r0:r1, c0:c1] = True
    return mask


def compose(
    static: NDArray[np.float64], drawn: NDArray[np.float64], region: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """``drawn`` inside the region, ``static`` (the canvas before any expression shape) outside:
    this makes the outside bit-identical for every expression by construction."""
    out: NDArray[np.float64] = np.where(region[..., None], drawn, static)
    return out
