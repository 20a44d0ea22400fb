"""The canonical face frame: the same eyes-and-mouth layout whatever the style, size or place.

Feature points (:data:`FEATURE_NAMES`, pixel coordinates x right, y down, pixel centres at
i + 0.5) fix a frame from the two eye centres and the mouth centre: its x axis runs from the
character's right eye to its left eye, its y axis points from the eyes toward the mouth. In
that frame the face always has the layout of :data:`CANONICAL_POINTS` (eyes at x = 0.33 and
0.67, y = 0.47; mouth centre at y = 0.74), and the model reads the unit square of it. The
frame is an affine map (rotation, and separate horizontal and vertical scales), so a face
rotated in its atlas, or drawn taller or wider than another, lands in the same place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

FEATURE_NAMES: tuple[str, ...] = (
    "eye_r",
    "eye_l",
    "brow_r",
    "brow_l",
    "mouth_r",
    "mouth_l",
    "mouth_c",
)
"""Eye centres, brow centres, the mouth corners and the mouth centre. ``_r`` is the character's
right side, drawn on the image's left half (the face looks at the viewer)."""
N_FEATURES = len(FEATURE_NAMES)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}

CANONICAL_POINTS = np.array(
    [
        [0.33, 0.47],
        [0.67, 0.47],
        [0.33, 0.33],
        [0.67, 0.33],
        [0.39, 0.74],
        [0.61, 0.74],
        [0.50, 0.74],
    ],
    dtype=np.float64,
)
"""Where the feature points of a typical face lie in the canonical unit square."""
_EYE_Y = 0.47
_EYE_DISTANCE = 0.34
_EYE_TO_MOUTH = 0.27


def check_features(
    points: Any, width: int, height: int, mirrored: bool = False
) -> NDArray[np.float64]:
    """(7, 2) finite pixel coordinates inside a ``width`` × ``height`` region, in a face layout
    (``mirrored``: flipped left to right, as a texture the mesh shows mirrored)."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape != (N_FEATURES, 2) or not np.all(np.isfinite(p)):
        raise InputError(
            None,
            f"feature points must be {N_FEATURES} finite (x, y) pairs "
            f"({', '.join(FEATURE_NAMES)}), got shape {p.shape}",
        )
    if np.any(p < 0.0) or np.any(p[:, 0] > width) or np.any(p[:, 1] > height):
        raise InputError(None, f"feature points must lie inside the {width}×{height} face region")
    eye_r, eye_l, mouth_c = (
        p[FEATURE_INDEX["eye_r"]],
        p[FEATURE_INDEX["eye_l"]],
        p[FEATURE_INDEX["mouth_c"]],
    )
    eyes = eye_l - eye_r
    if math.hypot(*eyes) < 1.0:
        raise InputError(None, "feature points: the two eyes are less than a pixel apart")
    down = mouth_c - 0.5 * (eye_l + eye_r)
    cross = eyes[0] * down[1] - eyes[1] * down[0]
    if (cross >= 0.0) if mirrored else (cross <= 0.0):
        side = "right (the texture shows the face mirrored)" if mirrored else "left"
        raise InputError(
            None,
            "feature points: the mouth must lie below the eyes, and the character's "
            f"right eye on the image's {side} (the face looks at the viewer)",
        )
    return p


@dataclass(frozen=True)
class FaceFrame:
    """Affine map between canonical face coordinates (unit square) and region pixels."""

    matrix: NDArray[np.float64]
    """(2, 3): region pixel = matrix @ [cx, cy, 1]."""

    @classmethod
    def from_features(cls, points: NDArray[np.float64]) -> FaceFrame:
        eye_r, eye_l = points[FEATURE_INDEX["eye_r"]], points[FEATURE_INDEX["eye_l"]]
        mouth_c = points[FEATURE_INDEX["mouth_c"]]
        mid = 0.5 * (eye_r + eye_l)
        x_axis = eye_l - eye_r
        d_eyes = float(np.hypot(*x_axis))
        x_hat = x_axis / d_eyes
        y_hat = np.array([-x_hat[1], x_hat[0]])  # +90° in y-down image coordinates
        d_mouth = float(np.dot(mouth_c - mid, y_hat))
        sx = d_eyes / _EYE_DISTANCE
        sy = d_mouth / _EYE_TO_MOUTH
        lin = np.stack([x_hat * sx, y_hat * sy], axis=1)  # columns: images of canonical x and y
        origin = mid - lin @ np.array([0.5, _EYE_Y])
        return cls(np.concatenate([lin, origin[:, None]], axis=1))

    @property
    def linear(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self.matrix[:, :2]
        return out

    def to_pixels(self, canonical: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        c = np.asarray(canonical, dtype=np.float64)
        out: NDArray[np.float64] = c @ self.linear.T + self.matrix[:, 2]
        return out

    def to_canonical(self, pixels: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        p = np.asarray(pixels, dtype=np.float64) - self.matrix[:, 2]
        out: NDArray[np.float64] = p @ np.linalg.inv(self.linear).T
        return out

    def pixels_per_unit(self) -> float:
        """Texture pixels per canonical unit (the geometric mean of the two scales)."""
        return float(math.sqrt(abs(np.linalg.det(self.linear))))


def canonical_crop(region: NDArray[np.generic], frame: FaceFrame, size: int) -> NDArray[np.float32]:
    """The region resampled into the canonical unit square at ``size`` × ``size`` (float32).

    Large faces are first shrunk with area averaging to about the output's scale, so the
    model sees an antialiased image rather than every n-th texture pixel.
    """
    img = np.asarray(region, dtype=np.float32)
    scale = frame.pixels_per_unit() / size  # texture pixels per output pixel
    m = frame.matrix.copy()
    if scale > 1.5:
        shrink = 1.0 / math.floor(scale)
        h = max(1, round(img.shape[0] * shrink))
        w = max(1, round(img.shape[1] * shrink))
        sx, sy = w / img.shape[1], h / img.shape[0]
        img = np.asarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA), dtype=np.float32)
        m = np.diag([sx, sy]) @ m
    # Output pixel (i, j) has canonical centre ((j + 0.5) / size, (i + 0.5) / size).
    to_out = np.array(
        [[1.0 / size, 0.0, 0.5 / size], [0.0, 1.0 / size, 0.5 / size], [0.0, 0.0, 1.0]]
    )
    full = np.vstack([m, [0.0, 0.0, 1.0]]) @ to_out
    # warpAffine with WARP_INVERSE_MAP wants dst → src in pixel-index coordinates (centres at i).
    shift = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    src_from_dst = (shift @ full)[:2]
    out = np.asarray(
        cv2.warpAffine(
            img,
            src_from_dst,
            (size, size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        dtype=np.float32,
    )
    return out[..., None] if out.ndim == 2 else out
