"""Face-style families and atlases: exact, deterministic ground truth for locator and editor
training (weights_tools/styles)."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from moodrig.core.expression import EXPRESSION_NAMES, N_EXPRESSION, expression_vector
from moodrig.weights_tools.styles import (
    FAMILIES,
    FAMILY_NAMES,
    FEATURE_NAMES,
    get_family,
    px_to_uv,
    sample_atlas,
    sample_pair,
    synthesize_atlas,
    uv_to_px,
)
from moodrig.weights_tools.styles.base import FEATURE_INDEX, parse_size
from moodrig.weights_tools.styles.pixel import art_grid, render_art
from moodrig.weights_tools.styles.pixel import random_style as pixel_style
from moodrig.weights_tools.styles.raster import nearest_index

ZERO = np.zeros(N_EXPRESSION, dtype=np.float32)
ONES = np.ones(N_EXPRESSION, dtype=np.float32)
SINGLES = [expression_vector(**{name: 1.0}) for name in EXPRESSION_NAMES]


def _style(family: str, seed: int) -> object:
    return get_family(family).random_style(np.random.default_rng(seed))


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_feature_names_are_the_documented_seven() -> None:
    assert FEATURE_NAMES == ("eye_r", "eye_l", "brow_r", "brow_l", "mouth_r", "mouth_l", "mouth_c")
    assert set(FAMILY_NAMES) == {"painter", "pixel", "anime", "flat", "painterly"}


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_render_is_deterministic(family: str) -> None:
    e = expression_vector(jaw_open=0.4, smile=0.7, brow_furrow=0.3, eye_close_l=0.6)
    a = get_family(family).render(_style(family, 11), e, (96, 80))
    b = get_family(family).render(_style(family, 11), e, (96, 80))
    assert _digest(a.image) == _digest(b.image) and _digest(a.points) == _digest(b.points)
    c = get_family(family).render(_style(family, 12), e, (96, 80))
    assert _digest(c.image) != _digest(a.image)


@pytest.mark.parametrize("family", FAMILY_NAMES)
@pytest.mark.parametrize("size", [96, (72, 96), (112, 84)])
def test_layout_range_and_non_square_sizes(family: str, size: int | tuple[int, int]) -> None:
    w, h = parse_size(size)
    face = get_family(family).render(_style(family, 3), expression_vector(smile=1.0), size)
    assert face.image.shape == (h, w, 4) and face.image.dtype == np.float32
    assert face.image.min() >= 0.0 and face.image.max() <= 1.0
    assert face.points.shape == (7, 2) and face.points.dtype == np.float32
    assert get_family(family).region(_style(family, 3), size).shape == (h, w)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_pixels_outside_the_region_never_change(family: str) -> None:
    fam = get_family(family)
    rng = np.random.default_rng(5)
    for seed in range(3):
        style = _style(family, 100 + seed)
        for size in (80, (64, 88), (100, 76)):
            region = fam.region(style, size)
            assert 0 < region.mean() < 0.9
            neutral = fam.render(style, ZERO, size).image
            for e in [*SINGLES, ONES, rng.uniform(0, 1, N_EXPRESSION).astype(np.float32)]:
                img = fam.render(style, e, size).image
                assert np.array_equal(img[~region], neutral[~region])


@pytest.mark.parametrize("family", [n for n in FAMILY_NAMES if FAMILIES[n].layers is not None])
def test_region_bounds_every_expression_shape(family: str) -> None:
    """The region is not a clip: drawn shapes never reach outside it, at any expression."""
    fam = get_family(family)
    assert fam.layers is not None
    for seed in range(3):
        style = _style(family, 200 + seed)
        for size in (256, (150, 210)):
            region = fam.region(style, size)
            for e in [*SINGLES, ONES]:
                static, drawn = fam.layers(style, e, size)
                changed = np.any(static != drawn, axis=-1)
                assert not np.any(changed & ~region), (seed, size, e)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_stronger_expression_changes_more(family: str) -> None:
    """Each entry changes the face, and the change from neutral grows with the value (within
    5 % where a moved shape no longer overlaps its old place)."""
    fam = get_family(family)
    for seed in (1, 2):
        style = _style(family, 300 + seed)
        region = fam.region(style, 96)
        neutral = fam.render(style, ZERO, 96).image[region]
        for i, name in enumerate(EXPRESSION_NAMES):
            d = [0.0]
            for t in (0.25, 0.5, 0.75, 1.0):
                e = ZERO.copy()
                e[i] = t
                d.append(float(np.abs(fam.render(style, e, 96).image[region] - neutral).mean()))
            assert d[2] > 0.0 and d[4] > 5e-4, (name, d)
            tol = 0.05 * d[4]
            assert all(b >= a - tol for a, b in itertools.pairwise(d)), (name, d)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_eye_close_sides_are_independent(family: str) -> None:
    """eye_close_r changes only the image's left half, eye_close_l only the right half."""
    fam = get_family(family)
    for seed in range(3):
        style = _style(family, 400 + seed)
        neutral = fam.render(style, ZERO, (96, 88)).image
        for name, half in (("eye_close_r", slice(0, 48)), ("eye_close_l", slice(48, 96))):
            diff = np.abs(
                fam.render(style, expression_vector(**{name: 1.0}), (96, 88)).image - neutral
            ).sum(axis=-1)
            other = np.ones(96, dtype=bool)
            other[half] = False
            assert diff[:, half].sum() > 0 and diff[:, other].sum() == 0, name


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_feature_points_are_plausible(family: str) -> None:
    fam = get_family(family)
    i = FEATURE_INDEX
    for seed in range(12):
        style = _style(family, 500 + seed)
        for size in (128, (96, 128), (128, 96)):
            w, h = parse_size(size)
            p = fam.render(style, ZERO, size).points
            region = fam.region(style, size)
            assert np.all((p[:, 0] > 0) & (p[:, 0] < w) & (p[:, 1] > 0) & (p[:, 1] < h))
            assert p[i["eye_r"], 0] < w / 2 < p[i["eye_l"], 0]
            assert p[i["brow_r"], 0] < w / 2 < p[i["brow_l"], 0]
            assert p[i["mouth_r"], 0] < p[i["mouth_c"], 0] < p[i["mouth_l"], 0]
            for side in ("r", "l"):
                assert p[i[f"brow_{side}"], 1] < p[i[f"eye_{side}"], 1] < p[i["mouth_c"], 1]
                assert p[i[f"mouth_{side}"], 1] > p[i[f"eye_{side}"], 1]
            # Every point sits on its feature, which lies in the expression region.
            cols = np.clip(p[:, 0].astype(int), 0, w - 1)
            rows = np.clip(p[:, 1].astype(int), 0, h - 1)
            assert region[rows, cols].all()
            # Symmetric faces: the mouth centre halfway between the corners.
            assert abs(p[i["mouth_c"], 0] - 0.5 * (p[i["mouth_r"], 0] + p[i["mouth_l"], 0])) < 1.0


def test_pixel_family_is_made_of_constant_art_pixel_blocks() -> None:
    for seed in range(8):
        style = pixel_style(np.random.default_rng(600 + seed))
        e = expression_vector(smile=0.8, jaw_open=0.5, eye_close_l=1.0)
        for size in ((128, 128), (100, 140), (64, 48)):
            img = get_family("pixel").render(style, e, size).image
            art = render_art(style, e, size)
            gw, gh = art_grid(style, size)
            assert art.shape[:2] == (gh, gw) and 8 <= min(gw, gh) <= 32
            rows = nearest_index(size[1], gh)
            cols = nearest_index(size[0], gw)
            assert np.array_equal(img, art[rows[:, None], cols[None, :]].astype(np.float32))
            # Whole multiples: every art pixel is a k×k block of one colour.
            k = 6
            big = get_family("pixel").render(style, e, (gw * k, gh * k)).image
            blocks = big.reshape(gh, k, gw, k, 4)
            assert np.all(blocks == blocks[:, :1, :, :1, :])
            if style.noise == 0.0:
                assert len(np.unique(art.reshape(-1, 4), axis=0)) <= 16  # a small palette


def test_pixel_family_draws_minecraft_sized_faces() -> None:
    style = pixel_style(np.random.default_rng(3))
    neutral = get_family("pixel").render(style, ZERO, 8)
    for e in SINGLES:
        assert not np.array_equal(get_family("pixel").render(style, e, 8).image, neutral.image)


def test_uv_convention_is_v_from_the_bottom() -> None:
    # The top 5 rows of a 100×50 texture are the top of UV space (v near 1).
    assert px_to_uv((0, 0, 10, 5), 100, 50) == (0.0, 0.9, 0.1, 1.0)
    assert uv_to_px((0.0, 0.9, 0.1, 1.0), 100, 50) == (0, 0, 10, 5)


@pytest.mark.parametrize(
    ("family", "atlas", "face"),
    [
        ("painterly", (1024, 512), (180, 150)),
        ("anime", (512, 512), (120, 140)),
        ("flat", (256, 512), (60, 72)),
        ("painter", (512, 256), (64, 64)),
        ("pixel", (64, 32), (8, 8)),
    ],
)
def test_atlas_region_points_and_invariance(
    family: str, atlas: tuple[int, int], face: tuple[int, int]
) -> None:
    rng = np.random.default_rng(7)
    style = _style(family, 700)
    exprs = np.stack([ZERO, expression_vector(smile=1.0, jaw_open=0.5), ONES])
    a = synthesize_atlas(rng, family, style, exprs, atlas, face_size=face)
    w, h = atlas
    assert all(img.shape == (h, w, 4) and img.dtype == np.float32 for img in a.images)
    x0, y0, x1, y1 = a.region_px
    fx0, fy0, fx1, fy1 = a.face_px
    assert (fx1 - fx0, fy1 - fy0) == face
    assert fx0 <= x0 < x1 <= fx1 and fy0 <= y0 < y1 <= fy1
    assert a.region_uv == px_to_uv(a.region_px, w, h) and uv_to_px(a.region_uv, w, h) == a.region_px
    # Points inside the region; the face itself is the family's render, moved.
    assert np.all((a.points[:, 0] > x0) & (a.points[:, 0] < x1))
    assert np.all((a.points[:, 1] > y0) & (a.points[:, 1] < y1))
    ref = get_family(family).render(style, exprs[1], face)
    assert np.array_equal(a.images[1][fy0:fy1, fx0:fx1], ref.image)
    assert np.allclose(a.points, ref.points + np.array([fx0, fy0], dtype=np.float32))
    # Outside the region every expression gives the same atlas; inside, they differ.
    inside = np.zeros((h, w), dtype=bool)
    inside[y0:y1, x0:x1] = True
    assert not np.any(a.expression_mask & ~inside)
    for img in a.images[1:]:
        assert np.array_equal(img[~inside], a.images[0][~inside])
        assert not np.array_equal(img[inside], a.images[0][inside])


def test_sample_atlas_is_deterministic_and_sized() -> None:
    a = sample_atlas(np.random.default_rng(21), atlas_size=(512, 256), n_targets=2)
    b = sample_atlas(np.random.default_rng(21), atlas_size=(512, 256), n_targets=2)
    assert len(a.images) == 3 and np.all(a.expressions[0] == 0.0)
    assert all(_digest(x) == _digest(y) for x, y in zip(a.images, b.images, strict=True))
    assert a.region_px == b.region_px and np.array_equal(a.points, b.points)
    for seed in range(12):
        s = sample_atlas(np.random.default_rng(seed), atlas_size=(1024, 512), n_targets=0)
        fx0, fy0, fx1, fy1 = s.face_px
        side = (fx1 - fx0) * (fy1 - fy0)
        assert 0.02 * 512 <= side**0.5 <= 0.7 * 512, s.face_px
    tiny = sample_atlas(np.random.default_rng(4), atlas_size=(64, 32))
    assert tiny.family == "pixel" and tiny.images[0].shape == (32, 64, 4)


def test_sample_pair_is_deterministic_and_consistent() -> None:
    a = sample_pair(np.random.default_rng(9), random_aspect=True)
    b = sample_pair(np.random.default_rng(9), random_aspect=True)
    assert a.family == b.family and np.array_equal(a.expression, b.expression)
    assert _digest(a.target.image) == _digest(b.target.image)
    h, w = a.region.shape
    assert a.neutral.image.shape == (h, w, 4) and 0.7 < w / h < 1.4
    assert np.array_equal(a.neutral.image[~a.region], a.target.image[~a.region])
    assert np.array_equal(a.neutral.points, a.target.points)
    for family in FAMILY_NAMES:
        p = sample_pair(np.random.default_rng(1), family=family, size=64)
        assert p.family == family and p.expression.any()


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown face-style family"):
        get_family("oil")
    with pytest.raises(ValueError, match="size"):
        get_family("anime").render(_style("anime", 1), ZERO, (12, 64))
    with pytest.raises(ValueError, match="expression"):
        get_family("flat").render(_style("flat", 1), np.zeros(7), 64)
    with pytest.raises(ValueError, match="does not fit"):
        synthesize_atlas(
            np.random.default_rng(0),
            "flat",
            _style("flat", 1),
            [ZERO],
            (64, 64),
            face_size=(80, 80),
        )
