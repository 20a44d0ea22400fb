"""The smile estimate (geometry + mouth-region LBP)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.face import calibration as calib
from moodrig.core.face.expressions import analyse_landmarks
from moodrig.core.face.smile import (
    GEOMETRY_NAMES,
    MOUTH_REGION,
    N_GEOMETRY,
    canonical_to_image,
    geometry_features,
    mouth_patch,
    resample_patch,
    smile_value,
)
from moodrig.weights_tools.face_calibrate import fit_logistic, fit_ridge


def _face(
    scale: float = 200.0, roll: float = 0.0, shift: tuple[float, float] = (320.0, 240.0)
) -> np.ndarray:
    """The canonical neutral face placed in an image: scaled, rolled, moved."""
    can = calib.cached().canonical
    c, s = math.cos(roll), math.sin(roll)
    r = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return (can @ r.T * scale + np.array([*shift, 0.0])).astype(np.float32)


def test_geometry_features_named_and_invariant_to_placement() -> None:
    assert len(GEOMETRY_NAMES) == N_GEOMETRY == 38
    cal = calib.cached()
    a = analyse_landmarks(_face(), cal)
    b = analyse_landmarks(_face(scale=90.0, roll=0.4, shift=(100.0, 400.0)), cal)
    assert abs(a.smile.z_geo - b.smile.z_geo) < 1e-4  # float32 landmarks
    assert a.smile.z_app is None  # no image: geometric score alone
    assert np.all(np.isfinite(geometry_features(cal.canonical)))


def test_the_neutral_canonical_face_reads_neutral_and_a_wider_lifted_mouth_higher() -> None:
    cal = calib.cached()
    face = _face()
    base = analyse_landmarks(face, cal)
    assert base.expression[1] < 0.5
    # pull the mouth corners and their neighbours outwards and up (a smile's main motion)
    smiling = face.copy()
    for i, sign in (
        (61, -1),
        (291, 1),
        (78, -1),
        (308, 1),
        (146, -1),
        (375, 1),
        (185, -1),
        (409, 1),
    ):
        smiling[i, 0] += sign * 0.06 * 200
        smiling[i, 1] -= 0.04 * 200
    assert analyse_landmarks(smiling, cal).smile.z_geo > base.smile.z_geo


@settings(max_examples=50, deadline=None)
@given(st.floats(-6, 6), st.floats(-6, 6), st.floats(-3, -0.1), st.floats(0.1, 3))
def test_smile_value_is_monotone_and_anchored(z1: float, z2: float, zn: float, zs: float) -> None:
    lo, hi = sorted((z1, z2))
    assert 0.0 <= smile_value(lo, (zn, zs)) <= smile_value(hi, (zn, zs)) <= 1.0
    assert smile_value(zn, (zn, zs)) == pytest.approx(0.0, abs=1e-9)
    assert smile_value(0.0, (zn, zs)) == pytest.approx(0.5)
    assert smile_value(zs, (zn, zs)) == pytest.approx(1.0)


def test_linear_fits_find_the_informative_direction() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 5))
    y = (x[:, 2] + 0.3 * rng.normal(size=400) > 0).astype(float)
    for f in (fit_logistic(x, y, 1.0), fit_ridge(x, y, 1.0)):
        assert int(np.argmax(np.abs(f.w))) == 2 and f.w[2] > 0
        assert np.mean((f(x) > 0) == (y == 1)) > 0.9


def test_mouth_patch_reads_the_mouth_region_of_any_size() -> None:
    # a dark bar drawn at the canonical mouth line (y = 0.68) must land in the patch's middle rows
    for scale in (60.0, 200.0, 500.0):
        face = _face(scale=scale, shift=(600.0, 500.0))
        img = np.full((1100, 1200, 3), 200, np.uint8)
        y = round(500 + 0.68 * scale)
        img[y - max(1, int(scale * 0.02)) : y + max(2, int(scale * 0.02)), :] = 20
        p = mouth_patch(img, face, calib.cached().canonical)
        assert p.shape == (64, 64) and p.dtype == np.uint8
        rows = p.mean(axis=1)
        dark = int(np.argmin(rows))
        assert abs(dark - (0.68 - 0.35) / 0.65 * 64) <= 3, (scale, dark)
        assert rows[0] > 150 and rows[-1] > 150
        # the same region resampled 96 wide x 40 high: the bar keeps its relative height
        x0, x1, y0, y1 = MOUTH_REGION
        a = canonical_to_image(face, calib.cached().canonical)
        grid = np.array([[(x1 - x0) / 96, 0.0, x0], [0.0, (y1 - y0) / 40, y0], [0.0, 0.0, 1.0]])
        wide = resample_patch(img, a @ grid, (96, 40))
        assert wide.shape == (40, 96)
        assert abs(int(np.argmin(wide.mean(axis=1))) - (0.68 - 0.35) / 0.65 * 40) <= 2, scale
