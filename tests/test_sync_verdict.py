"""The plain sync sentence for the artist, and the texture figures measured from the files a
bake wrote: a bake whose textures do not show the asked expressions never reports success."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.appearance.cache import encode_png, plan_appearance
from moodrig.core.bake_sync import texture_figures
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.sync_verdict import sync_verdict
from moodrig.core.texture_sync import painted_face_points

BODY_OK = {"onset_f1": 0.9, "p_value": 0.001, "median_offset": 0.0}
BODY_SHORT = {"onset_f1": None, "reason": "not enough events to judge: 2 < 3"}


@pytest.mark.parametrize(
    ("sync", "ok", "sentence"),
    [
        (
            {**BODY_OK, "texture_ok": True, "texture_lag": 0},
            True,
            "Body and face in sync within 1 frame",
        ),
        (
            {**BODY_OK, "median_offset": 2.0, "texture_ok": True, "texture_lag": 1},
            True,
            "Body and face in sync within 2 frames",
        ),
        (
            {**BODY_OK, "texture_ok": False, "texture_lag": 0},
            False,
            "Face texture does not show the asked expressions",
        ),
        (
            {**BODY_SHORT, "texture_ok": False},
            False,
            "Face texture does not show the asked expressions",
        ),
        (
            {"onset_f1": 0.4, "p_value": 0.3, "median_offset": 0.0, "texture_ok": True},
            False,
            "Body does not follow the face in time",
        ),
        (
            {"onset_f1": 0.9, "p_value": 0.4, "median_offset": 0.0},
            False,
            "Body does not follow the face in time",
        ),
        (
            {**BODY_SHORT, "texture_ok": True, "texture_lag": 0},
            True,
            "Face in sync within 1 frame; too few expression changes to judge the body",
        ),
        (
            {**BODY_OK, "texture_ok": None, "texture_not_checked": "positions unknown"},
            True,
            "Body in sync within 1 frame; face texture not checked: positions unknown",
        ),
        ({**BODY_SHORT}, None, "Not judged: too few expression changes to judge the body"),
        (
            {**BODY_OK, "shape_keys_keyed": 4, "shape_key_lag": 0},
            True,
            "Body and face in sync within 1 frame",
        ),
        (
            {**BODY_OK, "shape_keys_keyed": 4, "shape_key_lag": 3},
            False,
            "Face shape keys lag behind the expressions",
        ),
    ],
)
def test_one_sentence_answers(sync: dict, ok: bool | None, sentence: str) -> None:
    verdict = sync_verdict(json.loads(json.dumps(sync)))  # as read back from the scene
    assert (verdict.ok, verdict.sentence) == (ok, sentence)


def _written(tmp_path: Path, frames: list[np.ndarray]) -> list[Path]:
    paths = []
    for i, tex in enumerate(frames):
        path = tmp_path / f"frame_{i + 1:05d}.png"
        path.write_bytes(encode_png(tex))
        paths.append(path)
    return paths


@pytest.mark.parametrize("shows", [True, False], ids=["shows", "never-changes"])
def test_texture_figures_read_the_written_files(tmp_path: Path, shows: bool) -> None:
    size = 128
    track = scripted_track(fps=24.0, seconds=6.0)
    plan = plan_appearance(track.expressions, 0.25)
    base = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION, np.float32), size)
    painted = {
        k: paint_face(DEFAULT_STYLE, plan.vectors[k], size) if shows else base
        for k in range(len(plan.levels))
    }
    frames = _written(tmp_path, [painted[int(k)] for k in plan.frame_to_key])
    points = painted_face_points(DEFAULT_STYLE, size)
    figures = texture_figures(plan, frames, base, track.expressions, points)
    json.dumps(figures)  # the record is JSON
    assert figures["texture_ok"] is shows, figures["texture_sentence"]
    verdict = sync_verdict({**BODY_OK, **figures})
    assert verdict.ok is shows
    if not shows:
        assert verdict.sentence == "Face texture does not show the asked expressions"


def test_unknown_feature_positions_are_said_not_guessed(tmp_path: Path) -> None:
    track = scripted_track(fps=24.0, seconds=2.0)
    plan = plan_appearance(track.expressions, 0.25)
    base = np.zeros((32, 32, 4), np.float32)
    figures = texture_figures(plan, [], base, track.expressions, None, "positions unknown")
    assert figures == {
        "texture_ok": None,
        "texture_not_checked": "positions unknown",
        "texture_sentence": "face texture not checked: positions unknown",
    }


@pytest.mark.parametrize("shows", [True, False], ids=["shows", "never-changes"])
def test_the_demo_heads_atlas_is_checked_at_its_stored_points(tmp_path: Path, shows: bool) -> None:
    """The face is a region of the head's atlas: its stored points (region pixels, as the
    face object keeps them) place the windows in the atlas."""
    from moodrig.core import demo_head
    from moodrig.core.appearance.points_io import FeaturePoints
    from moodrig.core.appearance.setup import FaceSetup
    from moodrig.core.bake_sync import setup_points

    atlas = demo_head.head_atlas(256)
    face = atlas.face
    stored = FeaturePoints(demo_head.face_points(atlas, DEFAULT_STYLE), (face.width, face.height))
    points = setup_points(FaceSetup(atlas.region, stored), atlas.size, atlas.size)
    assert points is not None
    x0, y0, x1, y1 = points.region
    assert (x0, y0, x1, y1) == (face.x0, face.y0, face.x1, face.y1)
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in points.points.values())
    assert setup_points(FaceSetup(atlas.region), atlas.size, atlas.size) is None

    track = scripted_track(fps=24.0, seconds=6.0)
    plan = plan_appearance(track.expressions, 0.25)
    base = demo_head.paint_atlas(atlas, DEFAULT_STYLE)
    painted = {
        k: demo_head.paint_atlas(atlas, DEFAULT_STYLE, plan.vectors[k]) if shows else base
        for k in range(len(plan.levels))
    }
    frames = _written(tmp_path, [painted[int(k)] for k in plan.frame_to_key])
    figures = texture_figures(plan, frames, base, track.expressions, points)
    assert figures["texture_ok"] is shows, figures["texture_sentence"]
