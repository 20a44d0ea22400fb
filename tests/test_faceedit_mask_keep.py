"""core/appearance/mask_keep.py: the editor changes the texture only on shapes of its mask
that come near a feature; an island far from every feature is closed."""

from __future__ import annotations

import torch

from moodrig.core.appearance.align import CANONICAL_POINTS, FEATURE_INDEX
from moodrig.core.appearance.mask_keep import MASK_REACH, feature_segments, mask_keep

R = 64


def _square(mask: torch.Tensor, item: int, u: float, v: float, radius: int, value: float) -> None:
    i, j = int(v * R), int(u * R)
    mask[item, 0, i - radius : i + radius + 1, j - radius : j + radius + 1] = value


def _points(n: int = 1) -> torch.Tensor:
    return torch.from_numpy(CANONICAL_POINTS).float()[None].expand(n, -1, -1)


def test_an_island_far_below_the_mouth_is_closed_and_the_brow_shapes_kept() -> None:
    mask = torch.zeros(1, 1, R, R)
    _square(mask, 0, 0.33, 0.33, 3, 0.8)  # over the right brow
    _square(mask, 0, 0.67, 0.33, 3, 0.6)  # over the left brow
    _square(mask, 0, 0.70, 0.88, 1, 1.0)  # at the jaw line, below the mouth's left corner
    before = mask.clone()
    kept = mask_keep(mask, _points())
    assert torch.equal(mask, before), "the input is not changed"
    assert kept[0, 0, int(0.88 * R)].sum() == 0
    brows = before.clone()
    brows[0, 0, int(0.88 * R) - 1 : int(0.88 * R) + 2] = 0
    assert torch.equal(kept, brows), "the brow shapes keep every value"


def test_a_shape_that_comes_near_a_feature_is_kept_whole() -> None:
    mask = torch.zeros(1, 1, R, R)
    mask[0, 0, int(0.74 * R) : int(0.97 * R), int(0.42 * R) : int(0.58 * R)] = 1.0  # mouth to chin
    assert torch.equal(mask_keep(mask, _points()), mask)


def test_each_item_is_kept_by_its_own_points() -> None:
    mask = torch.zeros(2, 1, R, R)
    _square(mask, 0, 0.5, 0.12, 1, 1.0)
    _square(mask, 1, 0.5, 0.12, 1, 1.0)
    points = _points(2).clone()
    points[1, FEATURE_INDEX["brow_r"]] = torch.tensor([0.45, 0.14])  # a brow drawn up there
    kept = mask_keep(mask, points)
    assert kept[0].sum() == 0
    assert torch.equal(kept[1], mask[1])


def test_the_reach_is_measured_in_eye_distances() -> None:
    segments, eye_distance = feature_segments(CANONICAL_POINTS)
    assert abs(eye_distance - 0.34) < 1e-9
    assert segments.shape == (6, 2, 2)
    wide = CANONICAL_POINTS.copy()
    wide[:, 0] = 0.5 + (wide[:, 0] - 0.5) * 2  # the same face twice as wide
    mask = torch.zeros(1, 1, R, R)
    # Just beyond the reach below the mouth on the canonical face, within it when the eyes
    # are twice as far apart.
    v = 0.74 + 1.3 * MASK_REACH * 0.34
    _square(mask, 0, 0.5, v, 0, 1.0)
    assert mask_keep(mask, _points()).sum() == 0
    wide_points = torch.from_numpy(wide).float()[None]
    assert mask_keep(mask, wide_points).sum() == 1
