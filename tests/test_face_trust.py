"""Detections that can be trusted: Face Mesh's own presence decides, whoever proposed the region.

A detector's false alarm must give "no face", never expression values; small faces in large
canvases must still be found (the wide search); in video an unaccepted frame is invalid.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.errors import InputError
from moodrig.core.expression import INDEX
from moodrig.core.face import AnalyzerConfig, FaceAnalyzer, analyze_image
from moodrig.core.face.detector import Detection
from moodrig.core.face.io import read_image
from moodrig.core.face.video import analyze_frames
from moodrig.core.paths import data_dir

SAMPLE = data_dir() / "sample_face.jpg"
# Crops of PASCAL VOC photos (dlib's examples) with no face in them, on which BlazeFace fires
# (score 0.55-0.71) and Face Mesh's presence is about 0.001: file, x, y, side.
CLUTTER = [
    ("2007_007763.jpg", 54, 2, 65),
    ("2008_002079.jpg", 236, 207, 65),
    ("2008_004176.jpg", 374, 244, 93),
]


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 3)


def _false_alarm(image: np.ndarray) -> Detection:
    """A confident BlazeFace-style detection in the middle of ``image``."""
    h, w = image.shape[:2]
    s = min(h, w) / 3
    cx, cy = w / 2, h / 2
    kp = np.array(
        [
            [cx - s / 4, cy - s / 6],
            [cx + s / 4, cy - s / 6],
            [cx, cy],
            [cx, cy + s / 4],
            [cx - s / 2, cy],
            [cx + s / 2, cy],
        ]
    )
    return Detection(box=(cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2), score=0.95, keypoints=kp)


def _lying_detector(an: FaceAnalyzer, calls: list[int]) -> None:
    """BlazeFace's own detections, then a confident false alarm in every image."""
    real = an.detector.detect_batch

    def detect_batch(images: list[np.ndarray]) -> list[list[Detection]]:
        calls.append(len(images))
        return [[*dets, _false_alarm(img)] for img, dets in zip(images, real(images), strict=True)]

    an.detector.detect_batch = detect_batch  # type: ignore[method-assign]


def test_a_detectors_false_alarm_is_no_face() -> None:
    """BlazeFace 'finds' a face in noise; Face Mesh's presence refuses it, the cascade and the
    wide search get their turn and find nothing: no face, not expression values."""
    img = _noise(480, 640)
    an = FaceAnalyzer(AnalyzerConfig(cascade=None))
    calls: list[int] = []
    _lying_detector(an, calls)
    roi = an.blazeface_rois(img)[0]
    assert an.mesh.run(img, roi).score < an.config.min_presence  # the premise: Face Mesh refuses it
    assert an.analyze(img) is None
    assert calls[0] == 1 and max(calls) > 1  # the whole image, then the tiles of the wide search
    with pytest.raises(InputError, match="no face"):
        analyze_image(img, config=AnalyzerConfig(cascade=None, wide_search=0))


def _canvas_with_face(
    photo: np.ndarray, face_width: float, target: int, at: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    s = target / face_width
    small = cv2.resize(photo, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    canvas = np.full((1200, 1600, 3), 120, np.uint8)
    y, x = at
    h, w = small.shape[:2]
    canvas[y : y + h, x : x + w] = small
    return canvas, (x, y, x + w, y + h)


@pytest.mark.parametrize("target", [60, 90])
def test_small_face_in_a_large_canvas_is_found(target: int) -> None:
    """The bundled sample face with its face about 60-90 px wide in a 1600×1200 canvas: too
    small for BlazeFace on the whole image; the wide search proposes it, Face Mesh accepts it,
    and the expression reads as it does on the full-size photo."""
    photo = read_image(SAMPLE)
    an = FaceAnalyzer()
    full = an.analyze(photo)
    assert full is not None
    width = full.box[2] - full.box[0]
    canvas, (x0, y0, x1, y1) = _canvas_with_face(photo, width, target, (610, 900))
    r = an.analyze(canvas)
    assert r is not None and r.detected_by == "wide" and r.score > 0.9
    cx, cy = (r.box[0] + r.box[2]) / 2, (r.box[1] + r.box[3]) / 2
    assert x0 < cx < x1 and y0 < cy < y1
    assert abs((r.box[2] - r.box[0]) - target) < 0.2 * target
    assert abs(r.expression[INDEX["smile"]] - full.expression[INDEX["smile"]]) < 0.15


@pytest.mark.shared
def test_small_cc0_selfie_in_a_large_canvas_is_found(shared_data: Path) -> None:
    photo = read_image(shared_data / "cc0_selfies" / "lisa1.jpg")
    an = FaceAnalyzer()
    full = an.analyze(photo)
    assert full is not None
    canvas, (x0, y0, x1, y1) = _canvas_with_face(photo, full.box[2] - full.box[0], 60, (300, 200))
    r = an.analyze(canvas)
    assert r is not None and r.detected_by == "wide"
    assert x0 < (r.box[0] + r.box[2]) / 2 < x1 and y0 < (r.box[1] + r.box[3]) / 2 < y1


@pytest.mark.shared
@pytest.mark.parametrize("clutter", CLUTTER, ids=[c[0] for c in CLUTTER])
def test_face_like_clutter_is_no_face(
    shared_data: Path, clutter: tuple[str, int, int, int]
) -> None:
    """Real photo crops with no face on which BlazeFace fires: no face is reported."""
    name, x, y, side = clutter
    crop = read_image(shared_data / "dlib_faces" / name)[y : y + side, x : x + side]
    an = FaceAnalyzer()
    assert an.detector.detect(crop), "premise: BlazeFace proposes a region here"
    assert an.analyze(crop) is None
    with pytest.raises(InputError, match="no face"):
        analyze_image(crop)


def test_untrusted_video_frames_are_invalid_and_filled() -> None:
    """Frames of noise between frames of a face: tracking loses the face, the lying detector's
    proposals are refused, and those frames are invalid (filled by the policy), not read."""
    face = read_image(SAMPLE)
    noise = _noise(*face.shape[:2], seed=1)
    frames = [face] * 3 + [noise] * 3 + [face] * 3
    an = FaceAnalyzer(AnalyzerConfig(cascade=None, wide_search=0))
    calls: list[int] = []
    _lying_detector(an, calls)
    track = analyze_frames(frames, 24.0, fill="interpolate", analyzer=an)
    assert track.valid.tolist() == [True] * 3 + [False] * 3 + [True] * 3
    assert np.allclose(track.expressions[3:6], track.expressions[2], atol=0.05)


def test_wide_search_in_video_runs_on_one_lost_frame_in_n() -> None:
    """The wide search costs tens of detector calls, so a clip without a face runs it on the
    first lost frame and then once every ``wide_search_every`` frames."""
    frames = [_noise(480, 640, seed=k) for k in range(10)]
    an = FaceAnalyzer(AnalyzerConfig(cascade=None, wide_search_every=4))
    batches: list[int] = []
    real = an.detector.detect_batch

    def counting(images: list[np.ndarray]) -> list[list[Detection]]:
        batches.append(len(images))
        return real(images)

    an.detector.detect_batch = counting  # type: ignore[method-assign]
    prev = None
    for f in frames:
        prev = an.track(f, prev)
        assert prev is None
    whole_image, tiled = sum(b == 1 for b in batches), [b for b in batches if b > 1]
    assert whole_image == 10
    assert len(tiled) == 2 * len([k for k in range(10) if k % 4 == 0])  # two levels each time
