"""core/appearance/paint.py: the editor's paint is drawn on the mouth and the lid lines only."""

from __future__ import annotations

import numpy as np
import torch

from moodrig.core.appearance.align import CANONICAL_POINTS, FaceFrame
from moodrig.core.appearance.fields import EditFields, render
from moodrig.core.appearance.paint import (
    away_from_mouth,
    keep_cells,
    lid_paint_in_palette,
    paint_anchors,
    paint_keep,
)

R = 32


def _cells(u: float, v: float, radius: int = 1) -> tuple[slice, slice]:
    """Rows and columns of a small square of cells around canonical (u, v)."""
    i, j = int(v * R), int(u * R)
    return slice(i - radius, i + radius + 1), slice(j - radius, j + radius + 1)


def _two_shapes() -> np.ndarray:
    """A shape on the mouth (open-mouth interior) and one on the cheek, below and outside the
    right eye (a false island)."""
    painted = np.zeros((R, R), bool)
    painted[_cells(0.50, 0.76)] = True
    painted[_cells(0.20, 0.62)] = True
    return painted


def test_shapes_on_the_mouth_and_lids_are_kept_and_an_island_on_the_cheek_is_not() -> None:
    segments, reach = paint_anchors(CANONICAL_POINTS)
    keep = keep_cells(_two_shapes(), segments, reach)
    rows, cols = _cells(0.50, 0.76, radius=2)  # the mouth shape and one cell around it
    assert keep[rows, cols].all()
    assert not keep[_cells(0.20, 0.62, radius=2)].any()
    lid = np.zeros((R, R), bool)
    lid[int(0.47 * R), int(0.25 * R) : int(0.41 * R)] = True  # a closed right lid's line
    assert keep_cells(lid, segments, reach)[int(0.47 * R)].sum() >= lid.sum()


def test_a_shape_touching_an_anchor_is_kept_whole() -> None:
    painted = np.zeros((R, R), bool)
    painted[int(0.74 * R) : int(0.95 * R), int(0.45 * R) : int(0.55 * R)] = True  # a wide-open jaw
    segments, reach = paint_anchors(CANONICAL_POINTS)
    assert keep_cells(painted, segments, reach)[painted].all()


def test_render_paints_the_kept_shape_and_leaves_the_island_unpainted() -> None:
    size = 96
    pts = np.array(
        [FaceFrame.from_features(CANONICAL_POINTS * size).to_canonical(CANONICAL_POINTS * size)]
    )
    logit = torch.full((1, 1, R, R), -1.0)
    logit[0, 0][torch.from_numpy(_two_shapes())] = 1.0
    z = torch.zeros
    fields = EditFields(z(1, 2, R, R), torch.ones(1, 1, R, R), z(1, 3, R, R), z(1, 3, R, R), logit)
    frame = FaceFrame.from_features(CANONICAL_POINTS * size)
    to_px = torch.tensor(frame.matrix, dtype=torch.float32)[None]
    to_c = torch.tensor(
        np.linalg.inv(np.vstack([frame.matrix, [0, 0, 1]]))[:2], dtype=torch.float32
    )[None]
    src = torch.ones(1, 3, size, size)
    free, _ = render(src, to_c, to_px, fields)
    fields.paint_keep = paint_keep(logit, torch.from_numpy(pts).float())
    kept, _ = render(src, to_c, to_px, fields)

    def dark(img: torch.Tensor, u: float, v: float) -> float:
        x, y = frame.to_pixels(np.array([[u, v]]))[0]
        return float(1.0 - img[0, :, int(y), int(x)].mean())

    assert dark(free, 0.20, 0.62) > 0.9 and dark(free, 0.50, 0.76) > 0.9  # both painted black
    assert dark(kept, 0.20, 0.62) == 0.0  # the island: the texture as it was
    assert torch.equal(kept[..., int(0.70 * size) :, :], free[..., int(0.70 * size) :, :])


def _lid_and_mouth() -> np.ndarray:
    """A closed right lid's line and an open mouth's interior."""
    painted = np.zeros((R, R), bool)
    painted[int(0.47 * R), int(0.25 * R) : int(0.41 * R)] = True
    painted[_cells(0.50, 0.76)] = True
    return painted


def test_the_lid_line_is_told_from_the_mouth() -> None:
    segments, reach = paint_anchors(CANONICAL_POINTS)
    keep = keep_cells(_lid_and_mouth(), segments, reach)
    lids = away_from_mouth(keep, segments, reach)
    assert lids[int(0.47 * R)].sum() >= int(0.41 * R) - int(0.25 * R)  # the whole lid line
    assert not lids[_cells(0.50, 0.76, radius=2)].any()  # none of the mouth
    assert np.array_equal(lids | (keep & ~lids), keep)


def test_a_lid_line_takes_the_nearest_colour_of_the_palette_and_the_mouth_keeps_its_own() -> None:
    logit = torch.full((1, 1, R, R), -1.0)
    logit[0, 0][torch.from_numpy(_lid_and_mouth())] = 1.0
    points = torch.from_numpy(CANONICAL_POINTS).float()[None]
    keep = paint_keep(logit, points)
    paint = torch.full((1, 3, R, R), 0.05)  # the generator's near-black
    palette = np.array([[0.9, 0.8, 0.7], [0.2, 0.1, 0.3], [0.5, 0.5, 0.5]], np.float32)
    out = lid_paint_in_palette(paint, keep, points, palette)
    lid = out[0, :, int(0.47 * R), int(0.33 * R)]
    assert torch.allclose(lid, torch.tensor([0.2, 0.1, 0.3]))  # the darkest, nearest colour
    rows, cols = _cells(0.50, 0.76)
    assert torch.equal(out[0, :, rows, cols], paint[0, :, rows, cols])
    assert torch.equal(paint, torch.full((1, 3, R, R), 0.05)), "the input is not changed"
    nothing = paint_keep(torch.full((1, 1, R, R), -1.0), points)
    assert torch.equal(lid_paint_in_palette(paint, nothing, points, palette), paint)
