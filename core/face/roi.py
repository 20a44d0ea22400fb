"""Rotated square regions of interest and the affine crops the face networks read.

A :class:`Roi` is MediaPipe's ``NormalizedRect`` in image pixels: centre, side and rotation
(radians; positive turns the crop's x axis clockwise in the y-down image, following the
line from the subject's right eye to their left eye).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Roi:
    """Square crop region in image pixels."""

    cx: float
    """Centre x (px)."""
    cy: float
    """Centre y (px)."""
    size: float
    """Side length (px)."""
    rotation: float = 0.0
    """Rotation in radians, MediaPipe's convention."""

    def corners(self) -> NDArray[np.float64]:
        """Image positions of the crop's top-left, top-right, bottom-left, bottom-right."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        ux = np.array([c, s]) * self.size / 2
        uy = np.array([-s, c]) * self.size / 2
        ctr = np.array([self.cx, self.cy])
        return np.stack([ctr - ux - uy, ctr + ux - uy, ctr - ux + uy, ctr + ux + uy])

    def crop_matrix(self, out_size: int) -> NDArray[np.float64]:
        """2×3 affine matrix mapping image px to crop px (crop is out_size × out_size)."""
        src = self.corners()[:3].astype(np.float32)
        dst = np.array([[0, 0], [out_size, 0], [0, out_size]], dtype=np.float32)
        return cv2.getAffineTransform(src, dst).astype(np.float64)


def normalize_radians(a: float) -> float:
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def rotation_from(
    p_start: NDArray[np.floating[Any]], p_end: NDArray[np.floating[Any]], target: float = 0.0
) -> float:
    """MediaPipe's ComputeRotation: angle that levels the line start→end."""
    return normalize_radians(
        target
        - math.atan2(-(float(p_end[1]) - float(p_start[1])), float(p_end[0]) - float(p_start[0]))
    )


def roi_from_box(
    cx: float, cy: float, w: float, h: float, rotation: float, scale: float = 1.5
) -> Roi:
    """RectTransformation with square_long: side = scale · max(w, h)."""
    return Roi(cx, cy, scale * max(w, h), rotation)


def roi_from_landmarks(points: NDArray[np.floating[Any]], scale: float = 1.5) -> Roi:
    """Face Mesh tracking ROI: landmark bounding box, rotation from landmarks 33 → 263."""
    xy = np.asarray(points, dtype=np.float64)[:, :2]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    rot = rotation_from(xy[33], xy[263])
    return roi_from_box(
        float(lo[0] + hi[0]) / 2,
        float(lo[1] + hi[1]) / 2,
        float(hi[0] - lo[0]),
        float(hi[1] - lo[1]),
        rot,
        scale,
    )


def crop(
    image: NDArray[np.uint8], roi: Roi, out_size: int
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Affine crop (bilinear, replicated border) and the 2×3 image→crop matrix."""
    m = roi.crop_matrix(out_size)
    patch = cv2.warpAffine(
        image, m, (out_size, out_size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(patch, dtype=np.uint8), m


def invert_affine(m: NDArray[np.float64]) -> NDArray[np.float64]:
    return cv2.invertAffineTransform(m).astype(np.float64)
