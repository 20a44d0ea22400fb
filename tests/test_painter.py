"""The toon-face painter is ground truth: exact, deterministic, expression-local."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.expression import N_EXPRESSION, expression_vector
from moodrig.core.painter import (
    DEFAULT_STYLE,
    FaceStyle,
    expression_region,
    paint_face,
    random_style,
)


def test_output_layout_and_range() -> None:
    img = paint_face(DEFAULT_STYLE, expression_vector(smile=0.7), 96)
    assert img.shape == (96, 96, 4) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert np.all(img[..., 3] == 1.0)


def test_same_inputs_give_identical_bytes() -> None:
    style = random_style(np.random.default_rng(7))
    e = expression_vector(jaw_open=0.4, brow_raise=0.9, eye_close_l=0.3)
    assert paint_face(style, e, 128).tobytes() == paint_face(style, e, 128).tobytes()


def test_random_style_is_seeded() -> None:
    assert random_style(np.random.default_rng(3)) == random_style(np.random.default_rng(3))
    assert random_style(np.random.default_rng(3)) != random_style(np.random.default_rng(4))


@pytest.mark.parametrize(
    "name",
    [
        "jaw_open",
        "smile",
        "frown",
        "brow_raise",
        "brow_furrow",
        "eye_close_l",
        "eye_close_r",
        "eye_wide",
    ],
)
def test_every_parameter_changes_the_picture(name: str) -> None:
    neutral = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION), 128)
    moved = paint_face(DEFAULT_STYLE, expression_vector(**{name: 1.0}), 128)
    assert np.abs(moved - neutral).max() > 0.3


def test_eye_close_sides_follow_the_character() -> None:
    """eye_close_l closes the character's left eye, drawn on the image's right half."""
    neutral = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION), 128)
    left = paint_face(DEFAULT_STYLE, expression_vector(eye_close_l=1.0), 128)
    diff = np.abs(left - neutral).sum(axis=-1)
    assert diff[:, 64:].sum() > 0 and diff[:, :64].sum() == 0


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=N_EXPRESSION, max_size=N_EXPRESSION),
    st.integers(0, 10_000),
)
def test_pixels_outside_the_expression_region_never_change(values: list[float], seed: int) -> None:
    style = random_style(np.random.default_rng(seed))
    region = expression_region(style, 128)
    neutral = paint_face(style, np.zeros(N_EXPRESSION), 128)
    img = paint_face(style, np.asarray(values), 128)
    assert np.array_equal(img[~region], neutral[~region])
    assert region.mean() < 0.40  # max over every seed drawn here (0..10000): 0.386 at seed 1327


def test_any_resolution() -> None:
    for size in (16, 100, 512):
        assert paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION), size).shape == (size, size, 4)


@pytest.mark.parametrize("bad", [[0.0] * 7, [2.0] + [0.0] * 7, [float("nan")] + [0.0] * 7])
def test_bad_expression_is_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        paint_face(DEFAULT_STYLE, bad, 64)


def test_bad_style_and_size_are_refused() -> None:
    with pytest.raises(ValueError):
        FaceStyle(skin=(1.2, 0.0, 0.0))
    with pytest.raises(ValueError):
        paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION), 8)
