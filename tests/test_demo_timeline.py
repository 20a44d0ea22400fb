"""The demo performance starts from a neutral resting face, so its events are its scripted beats."""

from __future__ import annotations

import numpy as np

from moodrig.core.bpfa import events_from_track, load_default_library
from moodrig.core.bpfa.sync import reference_frames
from moodrig.core.demo_timeline import DEMO_BEATS, REST_MAX, resting_face, scripted_track
from moodrig.core.face import analyze_image
from moodrig.core.paths import data_dir


def test_resting_face_is_neutral() -> None:
    e, head = resting_face(np.array([0.25, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1]), (-12.0, 7.0, 3.0))
    assert e.max() <= REST_MAX and e[0] == REST_MAX and e[7] == 0.1
    assert head == (-5.0, 7.0, 3.0)


def test_demo_reference_events_are_the_scripted_beats() -> None:
    """With the sample face's measured expression (it reads smile 1.0) as the baseline, each
    visible beat (not the blinks) starts exactly one reference event, inside its ease-in, and
    nothing else does: no smile 'on' from frame 0, no re-triggers."""
    face = analyze_image(data_dir() / "sample_face.jpg")
    assert face.expression[1] > 0.9  # the premise: the photo smiles
    fps = 24.0
    tr = scripted_track(
        fps,
        10.0,
        baseline=face.expression,
        baseline_head=(face.head.yaw, face.head.pitch, face.head.roll),
    )
    ref = reference_frames(events_from_track(tr), load_default_library(), fps, len(tr)) / fps
    beats = sorted((b for b in DEMO_BEATS if b.ramp > 0.1), key=lambda b: b.start)
    assert len(ref) == len(beats)
    for t, b in zip(ref.tolist(), beats, strict=True):
        assert b.start <= t <= b.start + b.ramp + 0.15, (t, b)
