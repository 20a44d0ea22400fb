"""The painter's per-side detail path: paint_face unchanged bit for bit, detail shapes bounded."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.detail import (
    DETAIL_NAMES,
    N_DETAIL,
    asymmetry,
    detail_from_expression,
    detail_vector,
    expression_from_detail,
)
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.painter import (
    DEFAULT_STYLE,
    expression_region,
    paint_detail,
    paint_face,
    random_style,
)

FROZEN_PAINT_FACE = "a34251f5bc2f55c37621d3d63ee23e53729034a95d01081aa3dc3b04dbf0ef8b"
"""sha256 of the 120 paint_face outputs below as the painter drew them before per-side detail
vectors existed (recorded from that frozen copy of the painter)."""


def test_paint_face_is_bit_identical_to_the_frozen_painter_on_many_inputs() -> None:
    rng = np.random.default_rng(2024)
    h = hashlib.sha256()
    for k in range(120):
        style = random_style(rng)
        e = (rng.uniform(0, 1, N_EXPRESSION) * (rng.uniform(size=N_EXPRESSION) > 0.3)).astype(
            np.float32
        )
        if k % 4 == 0:
            e = np.round(e * 20) / 20  # the bake's quantised levels
        if k % 9 == 0:
            e = np.zeros(N_EXPRESSION, np.float32)
        if k % 11 == 0:
            e = np.ones(N_EXPRESSION, np.float32)
        size = int(rng.choice([16, 37, 64, 96]))
        h.update(paint_face(style, e, size).tobytes())
    assert h.hexdigest() == FROZEN_PAINT_FACE


def test_symmetric_detail_paints_the_same_bits_as_the_expression() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        style = random_style(rng)
        e = rng.uniform(0, 1, N_EXPRESSION).astype(np.float32)
        d = detail_from_expression(e)
        assert paint_detail(style, d, 64).tobytes() == paint_face(style, e, 64).tobytes()


def test_detail_vocabulary_round_trip_and_asymmetry() -> None:
    e = np.linspace(0.05, 0.95, N_EXPRESSION, dtype=np.float32)
    d = detail_from_expression(e)
    assert d.shape == (N_DETAIL,) and np.array_equal(expression_from_detail(d), e)
    assert np.array_equal(asymmetry(d), np.zeros(3, np.float32))
    lop = detail_vector(smile_l=0.8, smile_r=0.2, brow_raise_r=0.6)
    assert np.allclose(asymmetry(lop), [0.6, 0.0, -0.6])
    assert np.isclose(expression_from_detail(lop)[1], 0.5)
    with pytest.raises(ValueError, match="unknown detail"):
        detail_vector(smile=0.5)
    with pytest.raises(ValueError, match="11 values"):
        paint_detail(DEFAULT_STYLE, np.zeros(8), 64)
    with pytest.raises(ValueError):
        paint_detail(DEFAULT_STYLE, np.full(N_DETAIL, 1.5), 64)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b).sum(axis=-1) > 0


@pytest.mark.parametrize("name", ["brow_raise_l", "brow_raise_r"])
def test_one_brow_rises_alone(name: str) -> None:
    """brow_raise_l moves the character's left brow, drawn on the image's right half only."""
    neutral = paint_detail(DEFAULT_STYLE, np.zeros(N_DETAIL), 128)
    moved = paint_detail(DEFAULT_STYLE, detail_vector(**{name: 1.0}), 128)
    diff = _changed(moved, neutral)
    right = name.endswith("_l")
    assert diff[:, 64:].any() == right and diff[:, :64].any() == (not right)


def test_lopsided_smile_lifts_one_corner() -> None:
    """smile_l alone: the image-right mouth corner rises, the left eye/cheek stay as they were."""
    s = DEFAULT_STYLE
    n = 128
    neutral = paint_detail(s, np.zeros(N_DETAIL), n)
    lop = paint_detail(s, detail_vector(smile_l=1.0), n)
    diff = _changed(lop, neutral)
    mouth_rows = slice(int((s.mouth_y - 0.06) * n), int((s.mouth_y + 0.06) * n))
    left_corner = slice(0, int((0.5 - s.mouth_width) * n) - 3)
    assert diff[mouth_rows, n // 2 + 4 :].any()
    # Upper half (eyes, brows) and the cheek on the image-left side: untouched.
    assert not diff[: int((s.eye_y + 0.2) * n), : n // 2].any()
    # The image-left corner keeps its place (the lip line between the corners tilts).
    assert not diff[mouth_rows, left_corner].any()
    # The lifted corner is higher than the other one: ink of the lip line in the corner columns.
    ink = lop[..., :3].sum(-1) < 1.0
    cols_r = slice(int((0.5 + s.mouth_width * 0.9) * n), int((0.5 + s.mouth_width * 1.2) * n))
    cols_l = slice(int((0.5 - s.mouth_width * 1.0) * n), int((0.5 - s.mouth_width * 0.8) * n))
    rows_r, rows_l = np.nonzero(ink[:, cols_r])[0], np.nonzero(ink[:, cols_l])[0]
    rows_r = rows_r[rows_r > n * 0.6]
    rows_l = rows_l[rows_l > n * 0.6]
    assert rows_r.min() < rows_l.min() - 2


def test_detail_mirror_images() -> None:
    """A left-only smile and a right-only smile are mirror images in the mouth rows."""
    s = dataclasses.replace(DEFAULT_STYLE)
    n = 128
    a = paint_detail(s, detail_vector(smile_l=0.9, frown_r=0.4, jaw_open=0.5), n)
    b = paint_detail(s, detail_vector(smile_r=0.9, frown_l=0.4, jaw_open=0.5), n)
    rows = slice(int((s.mouth_y - 0.05) * n), int((s.mouth_y + 0.2) * n))
    assert np.allclose(a[rows], b[rows, ::-1], atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=N_DETAIL, max_size=N_DETAIL), st.integers(0, 10_000))
def test_expression_region_bounds_every_detail_shape(values: list[float], seed: int) -> None:
    style = random_style(np.random.default_rng(seed))
    region = expression_region(style, 128)
    neutral = paint_detail(style, np.zeros(N_DETAIL), 128)
    img = paint_detail(style, np.asarray(values), 128)
    assert np.array_equal(img[~region], neutral[~region])


@pytest.mark.parametrize("corner", [0.0, 1.0])
def test_expression_region_bounds_extreme_lopsided_details(corner: float) -> None:
    """The corners of the detail cube: every sided entry at 0 or 1 independently."""
    rng = np.random.default_rng(int(corner))
    for _ in range(12):
        style = random_style(rng)
        region = expression_region(style, 96)
        neutral = paint_detail(style, np.zeros(N_DETAIL), 96)
        d = (rng.uniform(size=N_DETAIL) < 0.5).astype(np.float32)
        d[DETAIL_NAMES.index("jaw_open")] = corner
        assert np.array_equal(paint_detail(style, d, 96)[~region], neutral[~region])
