"""core/appearance/paint.py: the editor's paint is drawn on the mouth and the lid lines only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moodrig.core.appearance.align import CANONICAL_POINTS, FaceFrame
from moodrig.core.appearance.fields import EditFields, render
from moodrig.core.appearance.paint import keep_cells, paint_anchors, paint_keep

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


def _frame_tensors(size: int) -> tuple[FaceFrame, torch.Tensor, torch.Tensor]:
    frame = FaceFrame.from_features(CANONICAL_POINTS * size)
    to_px = torch.tensor(frame.matrix, dtype=torch.float32)[None]
    to_c = torch.tensor(
        np.linalg.inv(np.vstack([frame.matrix, [0, 0, 1]]))[:2], dtype=torch.float32
    )[None]
    return frame, to_px, to_c


def _two_paints() -> EditFields:
    """A dark mouth interior (cells around (0.5, 0.8)) with a white band (teeth) over its top,
    and a white island on the cheek."""
    z = torch.zeros
    logit = torch.full((1, 1, R, R), -1.0)
    logit[0, 0, int(0.76 * R) : int(0.86 * R), int(0.40 * R) : int(0.60 * R)] = 1.0
    logit2 = torch.full((1, 1, R, R), -1.0)
    logit2[0, 0, int(0.76 * R) : int(0.80 * R), int(0.40 * R) : int(0.60 * R)] = 1.0
    logit2[0, 0][_cells(0.20, 0.62)] = 1.0
    return EditFields(
        z(1, 2, R, R),
        torch.ones(1, 1, R, R),
        z(1, 3, R, R),
        torch.full((1, 3, R, R), 0.1),
        logit,
        paint2=torch.ones(1, 3, R, R),
        paint2_logit=logit2,
    )


def test_the_second_paint_is_drawn_over_the_first_under_the_same_rule() -> None:
    size = 128
    frame, to_px, to_c = _frame_tensors(size)
    src = torch.full((1, 3, size, size), 0.5)
    pts = torch.from_numpy(frame.to_canonical(CANONICAL_POINTS * size)).float()[None]

    def at(img: torch.Tensor, u: float, v: float) -> float:
        x, y = frame.to_pixels(np.array([[u, v]]))[0]
        return float(img[0, :, int(y), int(x)].mean())

    for nearest in (False, True):
        f = _two_paints()
        free, _ = render(src, to_c, to_px, f, nearest=nearest)
        assert at(free, 0.20, 0.62) == 1.0  # the island, painted while no rule applies
        assert f.paint2_logit is not None
        f.paint_keep = paint_keep(torch.maximum(f.paint_logit, f.paint2_logit), pts)
        out, _ = render(src, to_c, to_px, f, nearest=nearest)
        assert at(out, 0.50, 0.78) == 1.0  # the band (teeth) over the interior
        assert abs(at(out, 0.50, 0.84) - 0.1) < 1e-6  # the interior below it
        assert at(out, 0.20, 0.62) == 0.5  # the island is not kept
        assert at(out, 0.50, 0.60) == 0.5


def test_second_paint_fields_come_together_and_follow_item_and_to() -> None:
    f = _two_paints()
    assert f.item(0).paint2 is not None and f.to(torch.device("cpu")).paint2_logit is not None
    with pytest.raises(ValueError, match="come together"):
        EditFields(f.flow, f.mask, f.colour, f.paint, f.paint_logit, paint2=f.paint2)
    with pytest.raises(ValueError, match="paint2_logit"):
        EditFields(
            f.flow, f.mask, f.colour, f.paint, f.paint_logit, paint2=f.paint2, paint2_logit=f.flow
        )
