"""Face region, pixel-art grid, canonical frame and full-resolution field rendering."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moodrig.core.appearance.align import (
    CANONICAL_POINTS,
    FaceFrame,
    canonical_crop,
    check_features,
)
from moodrig.core.appearance.fields import (
    EditFields,
    decisive_mask,
    paint_coverage,
    reach,
    render,
)
from moodrig.core.appearance.pixelart import (
    detect_blocks,
    from_art_pixels,
    palette_grid,
    to_art_pixels,
)
from moodrig.core.appearance.region import FaceRegion, PixelRect, feather_weights, paste
from moodrig.core.errors import InputError


def test_region_pixels_use_blender_v_from_bottom() -> None:
    # The top-left quarter of a 200×100 texture: u in [0, .5], v in [.5, 1].
    rect = FaceRegion(0.0, 0.5, 0.5, 1.0).pixels(200, 100)
    assert (rect.x0, rect.y0, rect.x1, rect.y1) == (0, 0, 100, 50)
    back = FaceRegion.from_pixels(rect, 200, 100)
    assert back.as_tuple() == (0.0, 0.5, 0.5, 1.0)


@pytest.mark.parametrize(
    "bad", [(0.5, 0.0, 0.4, 1.0), (0.0, 0.0, 1.2, 1.0), (0.0, float("nan"), 1.0, 1.0)]
)
def test_region_rejects_bad_rectangles(bad: tuple[float, float, float, float]) -> None:
    with pytest.raises(InputError, match="face region"):
        FaceRegion(*bad)


def test_region_too_small_and_texture_too_large_are_refused() -> None:
    with pytest.raises(InputError, match="at least"):
        FaceRegion(0.0, 0.0, 0.01, 0.01).pixels(100, 100)
    with pytest.raises(InputError, match="up to 8192"):
        FaceRegion().pixels(9000, 64)
    assert FaceRegion.parse("0.1, 0.2, 0.3, 0.4").as_tuple() == (0.1, 0.2, 0.3, 0.4)
    with pytest.raises(InputError, match="four numbers"):
        FaceRegion.parse("0.1,0.2,0.3")


def test_paste_keeps_outside_and_border_bit_identical() -> None:
    rng = np.random.default_rng(0)
    tex = rng.random((60, 80, 4), dtype=np.float32)
    rect = PixelRect(10, 5, 50, 45)
    edited = np.clip(tex[5:45, 10:50] + 0.3, 0, 1).astype(np.float32)
    out = paste(tex, edited, rect, feather=4)
    outside = np.ones((60, 80), bool)
    outside[6:44, 11:49] = False  # the region minus its border ring
    assert np.array_equal(out[outside], tex[outside])
    assert np.array_equal(out[25, 30], edited[20, 20])  # deep inside: the edit itself
    w = feather_weights(40, 40, 4)
    assert w[0, 0] == 0.0 and w[20, 20] == 1.0 and 0.0 < w[2, 20] < 1.0


def test_pixel_art_grid_round_trip() -> None:
    rng = np.random.default_rng(1)
    art = rng.integers(0, 255, (9, 11, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(art, 6, axis=0), 6, axis=1)[4:, 2:]  # cropped off the grid
    grid = detect_blocks(big)
    assert grid is not None
    assert grid.x.period == pytest.approx(6.0) and grid.y.period == pytest.approx(6.0)
    small = to_art_pixels(big, grid)
    assert small.shape == (9, 11, 3)  # the cut first blocks are kept as partial blocks
    assert np.array_equal(small[1:, 1:], art[1:, 1:])
    assert np.array_equal(from_art_pixels(small, grid, *big.shape[:2]), big)
    smooth = rng.random((40, 40, 3)).astype(np.float32)
    assert detect_blocks(smooth) is None


@pytest.mark.parametrize(("scale_x", "scale_y"), [(10.8, 10.8), (7.25, 4.5), (2.6, 13.0)])
def test_pixel_art_scaled_by_a_fraction_is_found_on_its_uneven_blocks(
    scale_x: float, scale_y: float
) -> None:
    """Nearest-neighbour scaling by a fraction makes blocks of two sizes (10 and 11 pixels
    for ×10.8); the art pixels are still found, whichever phase the scaler used."""
    rng = np.random.default_rng(2)
    art = rng.integers(0, 255, (14, 17, 3), dtype=np.uint8)
    for phase in (0.5, 0.0, 0.3):  # pixel-centre sampling, top-left sampling, another
        rows = np.floor((np.arange(round(14 * scale_y)) + phase) / scale_y).astype(int)
        cols = np.floor((np.arange(round(17 * scale_x)) + phase) / scale_x).astype(int)
        big = art[np.clip(rows, 0, 13)][:, np.clip(cols, 0, 16)][5:, 3:]  # off the grid
        grid = detect_blocks(big)
        assert grid is not None
        assert grid.x.period == pytest.approx(scale_x, abs=0.05)
        assert grid.y.period == pytest.approx(scale_y, abs=0.05)
        small = to_art_pixels(big, grid)
        assert np.array_equal(small[-10:, -12:], art[-10:, -12:])
        assert np.array_equal(from_art_pixels(small, grid, *big.shape[:2]), big)
        # Block centres (texture coordinates) land on art-pixel centres k + 0.5.
        xs, ys = grid.x.starts(big.shape[1]), grid.y.starts(big.shape[0])
        centres = np.array(
            [[(xs[k] + xs[k + 1]) / 2, (ys[j] + ys[j + 1]) / 2] for k, j in ((3, 2), (8, 9))]
        )
        assert np.allclose(grid.to_art(centres), [[3.5, 2.5], [8.5, 9.5]])


def test_a_small_region_of_few_colours_is_pixel_art_at_its_own_resolution() -> None:
    rng = np.random.default_rng(4)
    palette = rng.random((6, 3)).astype(np.float32)
    native = palette[rng.integers(0, 6, (24, 20))]
    grid = palette_grid(native)
    assert grid is not None and grid.x.period == grid.y.period == 1.0
    assert np.array_equal(to_art_pixels(native, grid), native)
    assert palette_grid(rng.random((24, 20, 3)).astype(np.float32)) is None  # painted
    assert palette_grid(palette[rng.integers(0, 6, (300, 300))]) is None  # too big to be


def test_hard_edged_shapes_off_any_grid_are_not_pixel_art() -> None:
    rng = np.random.default_rng(3)
    img = np.zeros((300, 300, 3), np.uint8)
    for _ in range(40):  # aliased rectangles at arbitrary places: no 1-pixel steps needed
        x, y = rng.integers(0, 280, 2)
        w, h = rng.integers(5, 90, 2)
        img[y : y + h, x : x + w] = rng.integers(0, 255, 3)
    assert detect_blocks(img) is None


def _face_points(scale: float, offset: tuple[float, float], angle: float = 0.0) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return (CANONICAL_POINTS - 0.5) @ rot.T * scale + 0.5 * scale + np.array(offset)


def test_frame_maps_canonical_points_and_back() -> None:
    pts = _face_points(200.0, (30.0, 10.0), angle=0.3)
    frame = FaceFrame.from_features(check_features(pts, 300, 300))
    got = frame.to_pixels(CANONICAL_POINTS[[0, 1, 6]])
    assert np.allclose(got, pts[[0, 1, 6]], atol=1e-9)
    assert np.allclose(frame.to_canonical(got), CANONICAL_POINTS[[0, 1, 6]], atol=1e-9)
    assert frame.pixels_per_unit() == pytest.approx(200.0)


def test_features_in_a_face_layout_only() -> None:
    pts = _face_points(100.0, (0.0, 0.0))
    with pytest.raises(InputError, match="below the eyes"):
        check_features(pts[[1, 0, 2, 3, 4, 5, 6]], 100, 100)  # eyes swapped: a mirrored face
    with pytest.raises(InputError, match="inside"):
        check_features(pts + 500.0, 100, 100)


def test_canonical_crop_of_an_aligned_face_is_the_face() -> None:
    size = 64
    img = np.zeros((size, size, 3), np.float32)
    img[:, :, 0] = (np.arange(size) + 0.5)[None, :] / size  # red = u
    img[:, :, 1] = (np.arange(size) + 0.5)[:, None] / size  # green = v
    frame = FaceFrame.from_features(_face_points(float(size), (0.0, 0.0)))
    crop = canonical_crop(img, frame, 32)
    expect = (np.arange(32) + 0.5) / 32
    assert np.allclose(crop[16, :, 0], expect, atol=0.02)
    assert np.allclose(crop[:, 16, 1], expect, atol=0.02)


def _fields(n: int = 1, r: int = 16) -> EditFields:
    z = torch.zeros
    return EditFields(
        z(n, 2, r, r), z(n, 1, r, r), z(n, 3, r, r), z(n, 3, r, r), torch.full((n, 1, r, r), -1.0)
    )


def _frames(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    frame = FaceFrame.from_features(_face_points(float(size), (0.0, 0.0)))
    to_px = torch.tensor(frame.matrix, dtype=torch.float32)[None]
    inv = np.linalg.inv(np.vstack([frame.matrix, [0, 0, 1]]))[:2]
    return torch.tensor(inv, dtype=torch.float32)[None], to_px


def test_render_with_zero_mask_returns_the_input_exactly() -> None:
    src = torch.rand(1, 3, 40, 40)
    to_c, to_px = _frames(40)
    out, mask = render(src, to_c, to_px, _fields())
    assert torch.equal(out, src) and float(mask.max()) == 0.0
    assert reach(_fields().mask) is None


def test_render_flow_moves_content_by_whole_pixels() -> None:
    size = 48
    src = torch.zeros(1, 3, size, size)
    src[:, :, 20:24, 20:24] = 1.0
    f = _fields()
    f.mask[:] = 1.0
    f.flow[:, 1] = -4.0 / size  # every pixel reads from 4 pixels above: content moves down by 4
    to_c, to_px = _frames(size)
    out, _ = render(src, to_c, to_px, f, nearest=True)
    assert torch.equal(out[0, 0, 24:28, 20:24], torch.ones(4, 4))
    assert float(out[0, 0, 20:24, 20:24].sum()) == 0.0


def test_paint_edges_are_one_pixel_wide_at_any_resolution() -> None:
    for size in (32, 256):
        ramp = (torch.arange(size, dtype=torch.float32) + 0.5 - size / 2).expand(1, 1, size, size)
        cov = paint_coverage(ramp * 0.01)  # any positive scale: the edge stays one pixel wide
        partial = ((cov > 0) & (cov < 1)).sum(dim=-1)
        assert int(partial.max()) <= 2


def test_paint_coverage_is_crisp_but_passes_a_gradient_where_nothing_is_painted_yet() -> None:
    logit = torch.full((1, 1, 8, 8), -4.0, requires_grad=True)
    cov = paint_coverage(logit)
    assert float(cov.detach().abs().max()) == 0.0  # the value: nothing painted
    cov.sum().backward()
    grad = logit.grad
    assert grad is not None and float(grad.min()) > 0.0  # yet a push up starts a shape
    with torch.no_grad():  # at inference the crisp coverage itself
        assert torch.equal(paint_coverage(logit), cov.detach())


def test_decisive_mask_takes_the_warp_or_the_original_not_half_of_each() -> None:
    m = torch.tensor([0.0, 0.02, 0.2, 0.3, 0.5, 0.7, 0.8, 1.0]).reshape(1, 1, 2, 4)
    d = decisive_mask(m, 2.0).flatten().tolist()
    assert d == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.5, 0.9, 1.0, 1.0])
    assert torch.equal(decisive_mask(torch.zeros(1, 1, 4, 4)), torch.zeros(1, 1, 4, 4))
    # A line moved by a half-open mask shows twice at half contrast; decisively, once.
    line = torch.zeros(1, 1, 1, 8)
    line[..., 2] = 1.0
    moved = torch.roll(line, 3, dims=-1)
    half = line + 0.6 * (moved - line)
    firm = line + decisive_mask(torch.full_like(line, 0.6)) * (moved - line)
    assert (half > 0.3).sum() == 2 and (firm > 0.3).sum() == 1
