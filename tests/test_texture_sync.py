"""The appearance side of sync: the written textures must show the asked expressions, where
(eyes, brows, mouth windows around the feature points) and when (lag)."""

from __future__ import annotations

import numpy as np
import pytest

from moodrig.core.demo_timeline import scripted_track
from moodrig.core.expression import INDEX
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.texture_sync import painted_face_points, texture_sync

SIZE = 192
TRACK = scripted_track(24.0, 10.0)
POINTS = painted_face_points(DEFAULT_STYLE, SIZE)
BASE = paint_face(DEFAULT_STYLE, np.zeros(8), SIZE)


def _bake(expressions: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct textures and the frame → texture map, as the bake's cache writes them."""
    q = np.round(expressions * 4) / 4
    uniq, idx = np.unique(q, axis=0, return_inverse=True)
    return [paint_face(DEFAULT_STYLE, u, SIZE) for u in uniq], idx.ravel()


def test_textures_that_show_the_track_pass() -> None:
    tex, idx = _bake(TRACK.expressions)
    rep = texture_sync(tex, idx, BASE, POINTS, TRACK.expressions)
    assert rep.ok is True and rep.sentence.startswith("face texture shows the asked expressions")
    assert all(a.judged and a.lag == 0 and a.correlation > 0.5 for a in rep.areas)
    assert all(v is not None and v > 0.8 for v in rep.entries.values())


def test_unchanged_textures_fail() -> None:
    rep = texture_sync([BASE], np.zeros(len(TRACK), int), BASE, POINTS, TRACK.expressions)
    assert rep.ok is False
    assert rep.sentence.startswith("face texture does not show the asked expressions")
    assert "no visible change" in rep.sentence


def test_late_textures_fail_and_say_how_late() -> None:
    tex, idx = _bake(TRACK.expressions)
    late = np.concatenate([np.full(10, idx[0]), idx[:-10]])
    rep = texture_sync(tex, late, BASE, POINTS, TRACK.expressions)
    assert rep.ok is False and "10 frames late" in rep.sentence
    assert all(a.lag == 10 for a in rep.areas)


def test_a_change_in_the_wrong_place_fails() -> None:
    """The track asks for a frown; the textures raise the brows instead of pulling the mouth."""
    asked = np.zeros((96, 8), np.float32)
    asked[30:60, INDEX["frown"]] = 1.0
    painted = np.zeros_like(asked)
    painted[30:60, INDEX["brow_raise"]] = 1.0
    tex, idx = _bake(painted)
    rep = texture_sync(tex, idx, BASE, POINTS, asked)
    assert rep.ok is False and "mouth" in rep.sentence
    assert [a.area for a in rep.areas if a.judged] == ["mouth"]
    assert rep.entries["frown"] is not None and rep.entries["frown"] < 0.7


def test_one_missing_entry_fails_even_when_its_area_changes() -> None:
    """Smile and frown both asked (at different times), only the smile painted."""
    asked = np.zeros((120, 8), np.float32)
    asked[20:50, INDEX["smile"]] = 1.0
    asked[70:100, INDEX["frown"]] = 1.0
    painted = asked.copy()
    painted[:, INDEX["frown"]] = 0.0
    tex, idx = _bake(painted)
    rep = texture_sync(tex, idx, BASE, POINTS, asked)
    assert rep.ok is False and "frown not shown" in rep.sentence
    assert rep.entries["smile"] is not None and rep.entries["smile"] > 0.9


def test_nothing_asked_is_not_judged() -> None:
    rep = texture_sync([BASE], np.zeros(48, int), BASE, POINTS, np.zeros((48, 8)))
    assert rep.ok is None and not any(a.judged for a in rep.areas)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="texture map"):
        texture_sync([BASE], np.zeros(10, int), BASE, POINTS, np.zeros((12, 8)))
    with pytest.raises(ValueError, match="outside"):
        texture_sync([BASE], np.full(12, 3), BASE, POINTS, np.zeros((12, 8)))


def test_amee_gan_edits_of_the_demo_face_show_the_demo_performance() -> None:
    """The shipped appearance model, editing the neutral demo face for each distinct
    expression of the demo performance."""
    from moodrig.core.amee.infer import AmeeEditor

    q = np.round(TRACK.expressions * 4) / 4
    uniq, idx = np.unique(q, axis=0, return_inverse=True)
    ed = AmeeEditor.load()
    out = ed.edit(
        np.repeat(BASE[None], len(uniq), 0),
        uniq.astype(np.float32),
        source_vectors=np.zeros((len(uniq), 8), np.float32),
    )
    rep = texture_sync(list(out), idx.ravel(), BASE, POINTS, TRACK.expressions)
    assert rep.ok is True, rep.sentence
