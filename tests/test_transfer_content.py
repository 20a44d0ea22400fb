"""Content drawings and real-face detail geometry: one drawing whichever domain the geometry
came from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moodrig.core.detail import (
    DETAIL_INDEX,
    N_DETAIL,
    detail_from_expression,
    detail_vector,
    expression_from_detail,
)
from moodrig.core.expression import expression_vector
from moodrig.core.face import calibration as calib
from moodrig.core.transfer import geometry as geo
from moodrig.core.transfer.content import draw_content, draw_contents


def test_drawing_layout_and_determinism() -> None:
    d = detail_vector(jaw_open=0.6, smile_l=0.9, brow_raise_r=0.4)
    a = draw_content(d, 64)
    assert a.shape == (64, 64, 3) and a.dtype == np.float32
    assert np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2])
    assert a.min() == 0.0 and a.max() == 1.0
    assert (a[..., 0] == 1.0).mean() > 0.8  # mostly paper
    assert a.tobytes() == draw_content(d, 64).tobytes()
    assert np.array_equal(draw_contents(np.stack([d, d]), 64)[1], a)


def test_drawing_is_style_free_and_sees_every_entry() -> None:
    neutral = draw_content(np.zeros(N_DETAIL), 96)
    for name in DETAIL_INDEX:
        moved = draw_content(detail_vector(**{name: 1.0}), 96)
        assert np.abs(moved - neutral).max() > 0.3, name
    # Mouth opening is grey, not ink.
    opened = draw_content(detail_vector(jaw_open=1.0), 96)
    assert np.any(np.isclose(opened[..., 0], 0.5, atol=0.01))


def test_left_entries_draw_on_the_image_right() -> None:
    neutral = draw_content(np.zeros(N_DETAIL), 128)
    for name, right in (
        ("brow_raise_l", True),
        ("brow_raise_r", False),
        ("eye_close_l", True),
        ("eye_close_r", False),
    ):
        diff = np.abs(draw_content(detail_vector(**{name: 1.0}), 128) - neutral).sum(-1) > 0
        assert diff[:, 64:].any() == right and diff[:, :64].any() == (not right), name


def _posed(
    q: np.ndarray, yaw_deg: float, pitch_deg: float, scale: float, shift: tuple[float, float]
) -> np.ndarray:
    """Canonical-frame points → image-like landmarks: rotate (yaw about y, pitch about x),
    scale, shift."""
    a, b = math.radians(pitch_deg), math.radians(yaw_deg)
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    p = q @ (ry @ rx).T * scale
    p[:, 0] += shift[0]
    p[:, 1] += shift[1]
    return p.astype(np.float32)


def _face_with(lift_diff: float, brow_diff: float) -> np.ndarray:
    """The canonical neutral face with one mouth corner and one brow moved (canonical units)."""
    q = calib.cached().canonical.copy()
    base = geo.side_measures(q)
    q[geo.L_CORNER, 1] -= (lift_diff - base.lift_diff) / 2
    q[geo.R_CORNER, 1] += (lift_diff - base.lift_diff) / 2
    for i in geo.L_BROW:
        q[i, 1] -= (brow_diff - base.brow_diff) / 2
    for i in geo.R_BROW:
        q[i, 1] += (brow_diff - base.brow_diff) / 2
    return q


@pytest.mark.parametrize("yaw, pitch", [(0.0, 0.0), (25.0, -10.0), (-35.0, 8.0)])
def test_same_drawing_from_painter_parameters_and_from_landmarks(yaw: float, pitch: float) -> None:
    """A painter-parameter detail vector, and a face whose landmarks measure to the same values
    (posed with a head rotation the geometry must remove), give the same content drawing."""
    want = detail_vector(
        smile_l=0.75,
        smile_r=0.35,
        brow_raise_l=0.1,
        brow_raise_r=0.5,
        jaw_open=0.3,
        eye_close_r=0.2,
    )
    e = expression_from_detail(want)  # the symmetric part, as the analysis reports it
    lift = geo.NEUTRAL_LIFT_DIFF + (0.75 - 0.35) * geo.SMILE_SPAN
    brow = geo.NEUTRAL_BROW_DIFF + (0.1 - 0.5) * geo.BROW_SPAN
    landmarks = _posed(_face_with(lift, brow), yaw, pitch, 240.0, (320.0, 260.0))
    got = geo.detail_from_face(e, landmarks)
    # Measured over the three poses: detail within 1.1e-6, drawings within 3.6e-6.
    assert np.allclose(got, want, atol=1e-4, rtol=0), (got, want)
    a, b = draw_content(want, 64), draw_content(got, 64)
    assert np.abs(a - b).max() < 1e-4


def test_symmetric_face_gives_the_symmetric_detail_of_its_expression() -> None:
    e = expression_vector(smile=0.6, brow_raise=0.3, frown=0.1)
    landmarks = _posed(
        _face_with(geo.NEUTRAL_LIFT_DIFF, geo.NEUTRAL_BROW_DIFF), 10.0, 0.0, 200.0, (300.0, 300.0)
    )
    assert np.allclose(geo.detail_from_face(e, landmarks), detail_from_expression(e), atol=1e-4)


def test_lower_corner_frowns_more_when_the_face_frowns() -> None:
    e = expression_vector(frown=0.5)
    d = geo.detail_from_face(
        e, _face_with(geo.NEUTRAL_LIFT_DIFF + 0.03, geo.NEUTRAL_BROW_DIFF).astype(np.float32) * 100
    )
    # Left corner higher → the right side frowns more; the smile stays 0.
    assert d[DETAIL_INDEX["frown_r"]] > d[DETAIL_INDEX["frown_l"]] + 0.4
    assert d[DETAIL_INDEX["smile_l"]] == d[DETAIL_INDEX["smile_r"]] == 0.0


def test_bad_landmarks_are_refused() -> None:
    with pytest.raises(ValueError, match="468"):
        geo.detail_from_face(np.zeros(8, np.float32), np.zeros((10, 3), np.float32))
    bad = calib.cached().canonical.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        geo.detail_from_face(np.zeros(8, np.float32), bad)


def test_analysed_photo_carries_per_side_details() -> None:
    """track_from_source = analyze_video's track plus details whose symmetric part is the 8
    values."""
    from moodrig.core.face import analyze_video
    from moodrig.core.face.source import track_from_source
    from moodrig.core.paths import data_dir

    photo = data_dir() / "sample_face.jpg"
    plain = analyze_video(photo)
    track = track_from_source(photo, plain.fps, hold_frames=1)
    assert np.array_equal(track.expressions, plain.expressions) and np.array_equal(
        track.head, plain.head
    )
    assert track.details is not None and track.details.shape == (1, N_DETAIL)
    sym = expression_from_detail(track.details)
    assert np.allclose(sym, track.expressions, atol=0.1)  # equal unless one side hit 0 or 1
    for i in (0, 4, 5, 6, 7):  # unsided entries are copied as they are
        assert sym[0, i] == track.expressions[0, i]
