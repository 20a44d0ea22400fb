"""Where the editor's warp may change the texture: on shapes that come near a feature.

The mask is a smooth field, and on a face unlike the styles it learnt (a photograph, for one)
it opens in small islands far from every feature: a dent in the jaw line while the brows
furrow. A shape of the mask is kept when some cell of it comes within :data:`MASK_REACH` eye
distances of a feature: an eye's lid line or the mouth (``paint.paint_anchors``), or a brow
(a segment through the brow point, as long as a lid line). A shape that comes near is kept
whole, however far it reaches (an open mouth's chin); the rest of the mask is closed, so its
pixels stay the input's.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from .align import FEATURE_INDEX
from .paint import EYE_HALF_WIDTH, near_shapes, paint_anchors

MASK_REACH = 0.3
"""How near a feature a shape of the mask must come, in eye distances. On the five families'
held-out faces nothing the truth changes lies farther (the selection draws' figures do not
move); the islands seen on a photograph lay 0.3–0.4 eye distances beyond the mouth's
corners."""


def feature_segments(points: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Segments (S, 2, 2) (canonical units) near which the face's features are drawn, for
    one face's feature points (7, 2): the mouth, the lid lines and the brows; and the eye
    distance."""
    segments, _ = paint_anchors(points)
    eye_distance = float(
        np.linalg.norm(points[FEATURE_INDEX["eye_l"]] - points[FEATURE_INDEX["eye_r"]])
    )
    half = np.array([EYE_HALF_WIDTH * eye_distance, 0.0])
    brows = [
        (points[FEATURE_INDEX[name]] - half, points[FEATURE_INDEX[name]] + half)
        for name in ("brow_r", "brow_l")
    ]
    return np.concatenate([segments, np.array(brows, dtype=np.float64)]), eye_distance


def mask_keep(mask: Tensor, points: Tensor) -> Tensor:
    """``mask`` (N, 1, R, R) with every shape that comes near no feature set to 0; ``points``
    (N, 7, 2) each item's feature points in canonical units. The input is not changed."""
    on = (mask[:, 0] > 0).cpu().numpy()
    pts = points.detach().cpu().numpy().astype(np.float64)
    keep = np.zeros(on.shape, dtype=bool)
    for i in range(on.shape[0]):
        if on[i].any():
            segments, eye_distance = feature_segments(pts[i])
            keep[i] = near_shapes(on[i], segments, MASK_REACH * eye_distance)
    if keep.sum() == on.sum():
        return mask
    return mask * torch.from_numpy(keep)[:, None].to(mask.device, mask.dtype)
