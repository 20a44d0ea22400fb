"""Faces turned in their atlas: which quarter turn shows the face upright.

UV packers turn islands by 90° to fit them, so a face region may show the face lying on its
side or upside down. The locator learnt upright faces only, and on a turned one it still
answers with an upright layout, often with full confidence, on the wrong features; an edit
made from those points tears the face apart. What tells the views apart is agreement: the
points found in the region and in the framings widened around it (``FaceEditor.framings``)
agree closely when the face is upright in the view and scatter when it is not.

The region is tried upright first; an upright view whose framings agree within
:data:`UPRIGHT_SPREAD` is taken at once (no extra cost for the usual atlas). Otherwise each
quarter turn is located too (:func:`pick`), and a turned view is taken only when it agrees
clearly better than the others; when two turns agree about as well, the face is not edited
rather than edited upside down.
The points are always returned in the region's own pixels, and the canonical frame fitted to
them carries the turn: the edit is drawn upright on the face, wherever it points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .align import FEATURE_INDEX

UPRIGHT_SPREAD = 0.12
"""An upright view whose framings agree within this (eye distances) is taken untried."""
MAX_SPREAD = 0.3
"""A turned view whose framings scatter more than this (eye distances) is never taken."""
TURN_MARGIN = 2.0
"""How many times more closely a turned view's framings must agree than the upright's."""


@dataclass(frozen=True)
class View:
    """The region located in one quarter turn: points in the region's own pixels."""

    turns: int
    """Quarter turns counter-clockwise (as ``np.rot90``) the region was given."""
    presence: float
    points: NDArray[np.float64]
    spread: float


def unturn_points(
    points: NDArray[np.float64], turns: int, width: int, height: int
) -> NDArray[np.float64]:
    """(N, 2) pixel coordinates in ``np.rot90(image, turns)`` → the same points in the
    ``width`` × ``height`` image itself (continuous coordinates, pixel centres at i + 0.5)."""
    p = np.asarray(points, dtype=np.float64).copy()
    for j in range(turns % 4, 0, -1):
        before = width if (j - 1) % 2 == 0 else height  # width of the image before turn j
        p = np.stack([before - p[:, 1], p[:, 0]], axis=1)
    return p


def turn_points(
    points: NDArray[np.float64], turns: int, width: int, height: int
) -> NDArray[np.float64]:
    """(N, 2) pixel coordinates in a ``width`` × ``height`` image → the same points in
    ``np.rot90(image, turns)`` (the inverse of :func:`unturn_points`)."""
    p = np.asarray(points, dtype=np.float64).copy()
    for j in range(turns % 4):  # one counter-clockwise turn: (x, y) → (y, w - x)
        before = width if j % 2 == 0 else height  # width of the image before this turn
        p = np.stack([p[:, 1], before - p[:, 0]], axis=1)
    return p


def spread(framings: list[NDArray[np.float64]]) -> float:
    """How far (eye distances) the points of any framing lie from their mean, at most."""
    found = np.asarray(framings, dtype=np.float64)
    mean = found.mean(axis=0)
    eyes = float(np.linalg.norm(mean[FEATURE_INDEX["eye_l"]] - mean[FEATURE_INDEX["eye_r"]]))
    return float(np.abs(found - mean).max() / max(eyes, 1e-6))


def pick(upright: View | None, turned: list[View]) -> tuple[View | None, bool]:
    """The view to edit by, and whether the turn was too unclear to choose one.

    ``upright``: None where its confidence failed; ``turned``: the turned views past the
    confidence threshold. An upright view is kept unless a turned one agrees
    :data:`TURN_MARGIN` times as closely (and within :data:`MAX_SPREAD`): an upright face is
    never refused here. Without an upright view, the closest turned view is taken when it
    agrees :data:`TURN_MARGIN` times as closely as the next; when two agree about as well (a
    face whose drawing looks alike upside down), neither is taken."""
    fits = sorted((v for v in turned if v.spread <= MAX_SPREAD), key=lambda v: v.spread)
    best = fits[0] if fits else None
    if upright is not None:
        if best is not None and best.spread * TURN_MARGIN < upright.spread:
            return best, False
        return upright, False
    if best is None:
        return None, False
    if len(fits) > 1 and best.spread * TURN_MARGIN >= fits[1].spread:
        return None, True
    return best, False
