"""Where the editor's paint may appear: on the mouth and on the eyes' lid lines, nowhere else.

The generator paints only what no warp can make: an open mouth's interior, a closed lid line.
Its paint logit is a smooth field, though, and on some faces it rises above 0 in small false
islands away from both (a dark fleck on a cheek beside a smiling mouth, under an eye). A
painted shape is kept when some part of it comes near the mouth (the polyline through its
corners and centre) or near an eye's lid line (a horizontal segment through the eye centre,
half an eye wide each way); :func:`paint_keep` gives the cells it covers, one cell wider on
every side so that the kept shapes' antialiased edges stay whole, and ``fields.render`` paints
nowhere else. A shape that touches an anchor is kept whole, whatever its extent.

On pixel art a closed lid is drawn as an artist would draw it: in one of the sprite's own
colours (:func:`lid_paint_in_palette`). An open mouth's interior keeps the generator's colour,
as a closed mouth's sprite rarely holds the colour of its inside.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from .align import FEATURE_INDEX

EYE_HALF_WIDTH = 0.25
"""Half the lid line's length, as a fraction of the distance between the eye centres."""
REACH = 0.08
"""How near an anchor a painted shape must come, as a fraction of the eye distance."""


def paint_anchors(points: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Anchor segments (S, 2, 2) (start, end; canonical units) of one face's feature points
    (7, 2), and the reach (canonical units) a painted shape must come within."""
    p = {name: points[i] for name, i in FEATURE_INDEX.items()}
    eye_distance = float(np.linalg.norm(p["eye_l"] - p["eye_r"]))
    half = np.array([EYE_HALF_WIDTH * eye_distance, 0.0])
    segments = [
        (p["mouth_r"], p["mouth_c"]),
        (p["mouth_c"], p["mouth_l"]),
        (p["eye_r"] - half, p["eye_r"] + half),
        (p["eye_l"] - half, p["eye_l"] + half),
    ]
    return np.array(segments, dtype=np.float64), REACH * eye_distance


def distance_to_segments(
    xy: NDArray[np.float64], segments: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(..., 2) points → distance to the nearest of the (S, 2, 2) segments."""
    a, b = segments[:, 0], segments[:, 1]
    ab = b - a
    length2 = np.maximum((ab * ab).sum(-1), 1e-12)
    rel = xy[..., None, :] - a
    t = np.clip((rel * ab).sum(-1) / length2, 0.0, 1.0)
    nearest = a + t[..., None] * ab
    distance: NDArray[np.float64] = np.sqrt(((xy[..., None, :] - nearest) ** 2).sum(-1)).min(-1)
    return distance


def near_shapes(
    on: NDArray[np.bool_], segments: NDArray[np.float64], reach: float
) -> NDArray[np.bool_]:
    """(R, R) bool: the 8-connected shapes of ``on`` with a cell centre within ``reach`` of a
    segment (canonical units: cell (i, j) is centred at ((j + 0.5) / R, (i + 0.5) / R))."""
    rows, cols = np.nonzero(on)
    if rows.size == 0:
        return np.zeros(on.shape, dtype=bool)
    centres = (np.stack([cols, rows], axis=-1).astype(np.float64) + 0.5) / on.shape[0]
    near = distance_to_segments(centres, segments) <= reach
    _, labels = cv2.connectedComponents(on.astype(np.uint8), connectivity=8)
    kept: NDArray[np.bool_] = np.isin(labels, np.unique(labels[rows[near], cols[near]])) & on
    return kept


def keep_cells(
    painted: NDArray[np.bool_], segments: NDArray[np.float64], reach: float
) -> NDArray[np.bool_]:
    """(R, R) bool: the shapes of ``painted`` that come within ``reach`` of a segment
    (:func:`near_shapes`), one cell wider on every side."""
    keep = near_shapes(painted, segments, reach)
    wider: NDArray[np.bool_] = cv2.dilate(keep.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return wider


def away_from_mouth(
    keep: NDArray[np.bool_], segments: NDArray[np.float64], reach: float
) -> NDArray[np.bool_]:
    """(R, R) bool: the 8-connected shapes of ``keep`` (the kept cells of one face) with no
    cell centre within ``reach`` of the mouth's segments (the first two of
    :func:`paint_anchors`): the lid lines."""
    lids: NDArray[np.bool_] = keep & ~near_shapes(keep, segments[:2], reach)
    return lids


def lid_paint_in_palette(
    paint: Tensor, keep: Tensor, points: Tensor, palette: NDArray[np.float32]
) -> Tensor:
    """``paint`` (N, 3, R, R) with the colour of every lid-line cell (kept, away from the
    mouth: :func:`away_from_mouth`) replaced by the nearest (RGB) of ``palette`` (K, 3), the
    colours the face already shows; ``keep`` (N, 1, R, R) from :func:`paint_keep`, ``points``
    (N, 7, 2) canonical."""
    kept = (keep[:, 0] > 0).cpu().numpy()
    if not kept.any() or len(palette) == 0:
        return paint
    pts = points.detach().cpu().numpy().astype(np.float64)
    out = paint.detach().cpu().numpy().copy()
    colours = np.asarray(palette, np.float32)
    for i in range(out.shape[0]):
        if not kept[i].any():
            continue
        lids = away_from_mouth(kept[i], *paint_anchors(pts[i]))
        if not lids.any():
            continue
        rgb = out[i].transpose(1, 2, 0)  # a view: writing it writes ``out``
        nearest = ((rgb[lids][:, None, :] - colours[None]) ** 2).sum(-1).argmin(1)
        rgb[lids] = colours[nearest]
    return torch.from_numpy(out).to(paint.device)


def paint_keep(logit: Tensor, points: Tensor) -> Tensor:
    """(N, 1, R, R) float 0/1 where paint may be drawn, for logits (N, 1, R, R) and each
    item's feature points (N, 7, 2) in canonical units (:func:`keep_cells`)."""
    painted = (logit[:, 0] > 0).cpu().numpy()
    pts = points.detach().cpu().numpy().astype(np.float64)
    out = np.zeros(painted.shape, np.float32)
    for i in range(painted.shape[0]):
        if painted[i].any():
            segments, reach = paint_anchors(pts[i])
            out[i] = keep_cells(painted[i], segments, reach)
    return torch.from_numpy(out)[:, None].to(logit.device)
