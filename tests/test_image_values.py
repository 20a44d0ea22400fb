"""The colour conversions between Blender's float images and the values image files hold."""

from __future__ import annotations

import numpy as np

from moodrig.core.image import srgb_encode, straight_alpha


def test_srgb_encode_matches_the_standard_curve_and_clips() -> None:
    linear = np.array([0.0, 0.002, 0.0031308, 0.214041, 1.0, 1.5, -0.2, np.nan], np.float32)
    got = srgb_encode(linear)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [0.0, 0.02584, 0.04045, 0.5, 1.0, 1.0, 0.0, 0.0], atol=2e-5)
    # The inverse (the curve Blender applies when it loads an sRGB file) gives the input back.
    enc = srgb_encode(np.linspace(0, 1, 1001, dtype=np.float32))
    back = np.where(enc <= 0.04045, enc / 12.92, ((enc + 0.055) / 1.055) ** 2.4)
    np.testing.assert_allclose(back, np.linspace(0, 1, 1001), atol=1e-6)


def test_straight_alpha_divides_colour_by_alpha_and_keeps_alpha() -> None:
    premultiplied = np.array(
        [[[0.25, 0.1, 0.0, 0.5], [0.3, 0.3, 0.3, 1.0], [0.0, 0.0, 0.0, 0.0], [0.6, 0.2, 0.1, 0.4]]],
        np.float32,
    )
    got = straight_alpha(premultiplied)
    np.testing.assert_allclose(
        got[0],
        [[0.5, 0.2, 0.0, 0.5], [0.3, 0.3, 0.3, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.25, 0.4]],
        atol=1e-6,
    )
    assert got.dtype == np.float32
