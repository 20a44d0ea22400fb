"""The smile estimate: geometric mouth/cheek measures plus mouth-region LBP appearance.

Two linear scores, each fitted to London's smiling vs neutral photos
(``weights_tools/face_calibrate.py``):

* ``z_geo``: logistic regression on :data:`GEOMETRY_NAMES`, 38 measures of the frontalised
  landmarks (head rotation removed, unit = outer-eye distance, y down; see
  :func:`geometry_features`): mouth width and corner elevation relative to the lip centre, the
  nose and the eye line, lip curvature and thickness, mouth-corner depth, cheek height/span/
  depth (cheek raise, the Duchenne cue) and the lower eyelid.
* ``z_app``: ridge regression on the paper's features (uniform-LBP block histograms, eq. 1,
  ``lbp.py``) of the mouth region, resampled into the canonical face's frame by the 2-D affine
  map of the stable landmarks (so the crop covers the same part of every face): teeth, the
  lip outline and the creases at the mouth corners are appearance, not landmarks.

The combined score is ``z = z_geo / s_geo + z_app / s_app`` (each divided by the spread of its
held-out scores on the training people, so both count equally); ``z > 0`` means smiling.
Without an image (``analyse_landmarks(..., image=None)``) the geometric score alone is used,
with its own anchors. ``smile_value`` maps z to the [0, 1] parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .geometry import STABLE
from .lbp import LbpConfig, features

# Face Mesh indices (subject's right, subject's left) of the cheek points the smile reads:
# below the eye (50/280), mid cheek (205/425), beside the nose wing (216/436), beside the
# mouth corner (57/287), below it (43/273), upper cheek (187/411) and the zygomatic arch (117/346).
CHEEK_PAIRS: tuple[tuple[int, int], ...] = (
    (50, 280),
    (205, 425),
    (216, 436),
    (57, 287),
    (43, 273),
    (187, 411),
    (117, 346),
)
_UPPER_LIP = (40, 39, 37, 267, 269, 270)
_LOWER_LIP = (91, 181, 84, 314, 405, 321)

GEOMETRY_NAMES: tuple[str, ...] = (
    "mouth_width",  # |61 - 291|, outer mouth corners
    "inner_width",  # |78 - 308|, inner lip corners
    "lift_lip",  # mean y(13, 14) - corner y: corners above the inner-lip centre
    "lift_outer",  # mean y(0, 17) - corner y: corners above the outer-lip centre
    "lift_upper",  # y(0) - corner y: corners relative to the top of the upper lip
    "corner_nose",  # corner y - y(2): corners below the subnasale (smaller when raised)
    "corner_eye",  # corner y - eye-line y
    "upper_curve",  # mean y of the upper lip's mid points - midway of top centre and corners
    "lower_curve",  # same for the lower lip (bottom centre 17)
    "upper_thick",  # y(13) - y(0): upper-lip height (thins when stretched)
    "lower_thick",  # y(17) - y(14)
    "lip_gap",  # y(14) - y(13): inner-lip opening
    "corner_depth",  # mean z(61, 291) - mean z(0, 17): corners drawn back
    "width_over_eyes",  # (x(291) - x(61)) / (x(263) - x(33))
    "nasolabial",  # mean |129 - 61|, |358 - 291|: nose wing to mouth corner
    *(f"cheek_{r}_{k}" for r, _ in CHEEK_PAIRS for k in ("height", "span", "depth")),
    "eye_open",  # mean lid gap / eye width, both eyes (lower lid rises in a Duchenne smile)
    "lower_lid",  # mean y(145, 374) - the eye corners' y: lower lid height
)
N_GEOMETRY = len(GEOMETRY_NAMES)

MOUTH_REGION: tuple[float, float, float, float] = (-0.6, 0.6, 0.35, 1.0)
"""x0, x1, y0, y1 of the mouth region in canonical-face units (outer-eye distance, y down,
origin at the stable points' mean): nose base to below the lower lip, both mouth corners and
the lower nasolabial folds."""
MOUTH_LBP = LbpConfig(size=64, grid=4)
"""64 × 64 px resampled mouth region, 4 × 4 cells of uniform-LBP histograms (944 values)."""


def geometry_features(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """(38,) smile measures of frontalised landmarks ``q`` (468, 3); names in GEOMETRY_NAMES."""
    y = q[:, 1]
    x = q[:, 0]
    z = q[:, 2]
    eye_y = float(y[[33, 133, 263, 362]].mean())
    corner_y = float(y[61] + y[291]) / 2
    f = [
        float(np.linalg.norm(q[61, :2] - q[291, :2])),
        float(np.linalg.norm(q[78, :2] - q[308, :2])),
        float(y[13] + y[14]) / 2 - corner_y,
        float(y[0] + y[17]) / 2 - corner_y,
        float(y[0]) - corner_y,
        corner_y - float(y[2]),
        corner_y - eye_y,
        float(y[list(_UPPER_LIP)].mean()) - (float(y[0]) + corner_y) / 2,
        float(y[list(_LOWER_LIP)].mean()) - (float(y[17]) + corner_y) / 2,
        float(y[13] - y[0]),
        float(y[17] - y[14]),
        float(y[14] - y[13]),
        float(z[61] + z[291]) / 2 - float(z[0] + z[17]) / 2,
        float(x[291] - x[61]) / max(float(x[263] - x[33]), 1e-6),
        float(np.linalg.norm(q[129, :2] - q[61, :2]) + np.linalg.norm(q[358, :2] - q[291, :2])) / 2,
    ]
    for r, left in CHEEK_PAIRS:
        f += [
            float(y[r] + y[left]) / 2 - eye_y,
            float(x[left] - x[r]) / 2,
            float(z[r] + z[left]) / 2 - float(z[1]),
        ]
    open_r = float(y[145] - y[159]) / max(abs(float(x[33] - x[133])), 1e-6)
    open_l = float(y[374] - y[386]) / max(abs(float(x[263] - x[362])), 1e-6)
    f.append((open_r + open_l) / 2)
    f.append(
        (float(y[145]) - float(y[33] + y[133]) / 2 + float(y[374]) - float(y[263] + y[362]) / 2) / 2
    )
    return np.array(f, dtype=np.float64)


def canonical_to_image(
    landmarks: NDArray[np.floating[Any]], canonical: NDArray[np.float64]
) -> NDArray[np.float64]:
    """2×3 affine A with image_xy ≈ A · (canonical_x, canonical_y, 1), least squares on the
    stable landmarks (it absorbs roll, scale and the foreshortening of a turned head)."""
    src = np.hstack([canonical[STABLE, :2], np.ones((len(STABLE), 1))])
    dst = np.asarray(landmarks, dtype=np.float64)[STABLE, :2]
    a: NDArray[np.float64] = np.linalg.solve(src.T @ src, src.T @ dst).T  # normal equations: 3×3
    return a


def mouth_patch(
    image: NDArray[np.uint8],
    landmarks: NDArray[np.floating[Any]],
    canonical: NDArray[np.float64],
    size: int = MOUTH_LBP.size,
) -> NDArray[np.uint8]:
    """The mouth region (``MOUTH_REGION``) resampled to ``size`` × ``size`` gray pixels."""
    x0, x1, y0, y1 = MOUTH_REGION
    a = canonical_to_image(landmarks, canonical)
    # patch px (u, v) -> canonical (x0 + u·sx, y0 + v·sy) -> image px
    m = a @ np.array([[(x1 - x0) / size, 0.0, x0], [0.0, (y1 - y0) / size, y0], [0.0, 0.0, 1.0]])
    return resample_patch(image, m, (size, size))


def resample_patch(
    image: NDArray[np.uint8], patch_to_image: NDArray[np.float64], size: tuple[int, int]
) -> NDArray[np.uint8]:
    """Gray patch of ``size`` (width, height) whose pixel (u, v) is the image at
    ``patch_to_image · (u, v, 1)`` (a 2×3 affine map).

    Only the patch's bounding box is converted to gray; large faces are first reduced with
    area averaging to about the patch's resolution, so the patch does not alias and looks
    alike whatever the face size in the photo."""
    w_out, h_out = size
    m = np.array(patch_to_image, dtype=np.float64)
    box = np.array([[0, w_out, 0, w_out], [0, 0, h_out, h_out], [1, 1, 1, 1]], dtype=np.float64)
    corners = m @ box
    h, w = image.shape[:2]
    lo = np.clip(np.floor(corners.min(axis=1)).astype(int) - 2, 0, [w - 1, h - 1])
    hi = np.clip(np.ceil(corners.max(axis=1)).astype(int) + 2, lo + 1, [w, h])
    sub: NDArray[np.uint8] = image[lo[1] : hi[1], lo[0] : hi[0]]
    if sub.ndim == 3:
        sub = np.asarray(cv2.cvtColor(sub, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    m[:, 2] -= lo
    step = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))  # image px per patch px
    if step > 1.5:
        sw, sh = max(1, round(sub.shape[1] / step)), max(1, round(sub.shape[0] / step))
        m *= np.array([[sw / sub.shape[1]], [sh / sub.shape[0]]])
        sub = np.asarray(cv2.resize(sub, (sw, sh), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    out = cv2.warpAffine(
        sub,
        m,
        (w_out, h_out),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out, dtype=np.uint8)


def appearance_features(
    image: NDArray[np.uint8], landmarks: NDArray[np.floating[Any]], canonical: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(944,) square-rooted (Hellinger) uniform-LBP block histograms of the mouth patch."""
    return np.sqrt(features(mouth_patch(image, landmarks, canonical), MOUTH_LBP).astype(np.float64))


@dataclass(frozen=True)
class LinearScore:
    """score(x) = ((x - mu) / sd) · w + b."""

    mu: NDArray[np.float64]
    sd: NDArray[np.float64]
    w: NDArray[np.float64]
    b: float

    def __call__(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = ((x - self.mu) / self.sd) @ self.w + self.b
        return out


def smile_value(z: float, anchor: tuple[float, float]) -> float:
    """Piecewise-linear [0, 1] map of the smile score: the neutral people's mean score → 0,
    the decision boundary z = 0 → 0.5, the smiling people's mean score → 1 (clipped).
    Monotone in z, so a stronger smile never reads lower."""
    zn, zs = anchor
    v = 0.5 * (z - zn) / max(-zn, 1e-6) if z < 0 else 0.5 + 0.5 * z / max(zs, 1e-6)
    return float(min(1.0, max(0.0, v)))
