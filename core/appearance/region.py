"""The face region of a texture: a UV rectangle, its pixels, and pasting an edit back.

Real face textures are atlases: the face is a small, often non-square part of a larger image.
A :class:`FaceRegion` is a rectangle in UV space (``u0, v0, u1, v1``, v measured from the
bottom, as Blender does). Only the region's pixels are ever edited; :func:`paste` writes the
edited region back with a seam that fades out *inside* the region, so every pixel outside it
is bit-identical to the input and the region's own border pixels are too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

MAX_SIDE = 8192
"""Largest texture side, in pixels, that moodrig edits."""
MIN_REGION_PX = 6
"""Smallest face region side, in pixels (an 8×8 pixel-art face fits)."""


@dataclass(frozen=True)
class PixelRect:
    """A rectangle of texture pixels, rows top-down: ``image[y0:y1, x0:x1]``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


@dataclass(frozen=True)
class FaceRegion:
    """Where the face is in the texture, in UV (Blender's convention: v = 0 at the bottom)."""

    u0: float = 0.0
    """Left edge, in [0, 1)."""
    v0: float = 0.0
    """Bottom edge, in [0, 1)."""
    u1: float = 1.0
    """Right edge, in (u0, 1]."""
    v1: float = 1.0
    """Top edge, in (v0, 1]."""

    def __post_init__(self) -> None:
        values = (self.u0, self.v0, self.u1, self.v1)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise InputError(None, f"face region {values} must be four finite numbers")
        if not (0.0 <= self.u0 < self.u1 <= 1.0 and 0.0 <= self.v0 < self.v1 <= 1.0):
            raise InputError(
                None,
                f"face region (u0, v0, u1, v1) = {values} must satisfy "
                "0 <= u0 < u1 <= 1 and 0 <= v0 < v1 <= 1",
            )

    @classmethod
    def parse(cls, text: str) -> FaceRegion:
        """``"u0,v0,u1,v1"`` (the CLI's ``--region``)."""
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise InputError(None, f"face region '{text}' must be four numbers u0,v0,u1,v1")
        return cls(*values)

    @classmethod
    def from_pixels(cls, rect: PixelRect, width: int, height: int) -> FaceRegion:
        """The UV rectangle of a pixel rectangle of a ``width`` × ``height`` texture."""
        return cls(rect.x0 / width, 1.0 - rect.y1 / height, rect.x1 / width, 1.0 - rect.y0 / height)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.u0, self.v0, self.u1, self.v1)

    def pixels(self, width: int, height: int) -> PixelRect:
        """The texture pixels whose centres lie inside the region (rows top-down)."""
        check_texture_size(width, height)
        x0 = min(max(0, math.floor(self.u0 * width + 0.5)), width)
        x1 = min(max(0, math.floor(self.u1 * width + 0.5)), width)
        y0 = min(max(0, math.floor((1.0 - self.v1) * height + 0.5)), height)
        y1 = min(max(0, math.floor((1.0 - self.v0) * height + 0.5)), height)
        rect = PixelRect(x0, y0, x1, y1)
        if rect.width < MIN_REGION_PX or rect.height < MIN_REGION_PX:
            raise InputError(
                None,
                f"face region {self.as_tuple()} covers only {rect.width}×{rect.height} "
                f"pixels of the {width}×{height} texture; it needs at least "
                f"{MIN_REGION_PX}×{MIN_REGION_PX}",
            )
        return rect


WHOLE_TEXTURE = FaceRegion()


def check_texture_size(width: int, height: int) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise InputError(
            None, f"texture is {width}×{height}; moodrig edits textures up to {MAX_SIDE}×{MAX_SIDE}"
        )


def feather_weights(
    height: int, width: int, feather: int, window: tuple[slice, slice] | None = None
) -> NDArray[np.float32]:
    """(height, width) weights: 0 on the region's outermost pixel ring, rising linearly to 1
    over ``feather`` pixels, 1 inside; all 1 for ``feather`` 0 (no seam). ``window``: only
    those rows and columns of them."""
    rows, cols = window if window is not None else (slice(0, height), slice(0, width))
    y = np.arange(height)[rows]
    x = np.arange(width)[cols]
    if feather <= 0:
        return np.ones((len(y), len(x)), np.float32)
    ys = np.minimum(y, height - 1 - y).astype(np.float32)
    xs = np.minimum(x, width - 1 - x).astype(np.float32)
    dist = np.minimum(ys[:, None], xs[None, :])
    out: NDArray[np.float32] = np.clip(dist / np.float32(int(feather)), 0.0, 1.0).astype(np.float32)
    return out


def seam_width(height: int, width: int) -> int:
    """The default seam: 3 % of the region's shorter side, at least 1 pixel."""
    return max(1, round(0.03 * min(height, width)))


def paste(
    texture: NDArray[np.float32],
    edited: NDArray[np.float32],
    rect: PixelRect,
    feather: int | None = None,
) -> NDArray[np.float32]:
    """A copy of ``texture`` with ``edited`` (the region's new RGB(A), same shape as the crop)
    blended in through the feathered seam. Outside ``rect`` (and, with a seam, on its border
    ring) the result is the input, bit for bit; where the edit equals the input, so is the
    result."""
    out = texture.copy()
    out[rect.slices] = seam(texture[rect.slices], edited, feather)
    return out


def seam(
    original: NDArray[np.float32], edited: NDArray[np.float32], feather: int | None = None
) -> NDArray[np.float32]:
    """The region's pixels with ``edited`` blended in through the feathered seam (see
    :func:`paste`): ``original`` on the border ring and wherever the edit equals it."""
    if edited.shape != original.shape:
        raise ValueError(f"edited region {edited.shape} does not match the region {original.shape}")
    h, w = original.shape[:2]
    weights = feather_weights(h, w, seam_width(h, w) if feather is None else feather)
    wt = weights[..., None]
    blended = np.where(wt >= 1.0, edited, original + wt * (edited - original))
    out: NDArray[np.float32] = np.where(edited == original, original, blended)
    return out


def region_from_uvs(
    uvs: NDArray[np.floating[Any]], what: str = "the selected polygons"
) -> FaceRegion:
    """The UV bounding box of ``uvs`` ((n, 2), e.g. the face-corner UVs of some polygons),
    clipped to the unit square; InputError when there are none or they span no area."""
    a = np.asarray(uvs, dtype=np.float64).reshape(-1, 2)
    a = a[np.all(np.isfinite(a), axis=1)]
    if len(a) == 0:
        raise InputError(None, f"{what} have no UV coordinates")
    lo = np.clip(a.min(axis=0), 0.0, 1.0)
    hi = np.clip(a.max(axis=0), 0.0, 1.0)
    if not (hi[0] > lo[0] and hi[1] > lo[1]):
        raise InputError(
            None,
            f"the UVs of {what} span no area inside the texture (u {lo[0]:.3f}–"
            f"{hi[0]:.3f}, v {lo[1]:.3f}–{hi[1]:.3f})",
        )
    return FaceRegion(float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
