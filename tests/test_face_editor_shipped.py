"""The shipped face editor and locator on textures moodrig did not paint: a real game
character's swatch atlas (no face painted on it) is refused with one line, never smeared; on a
painted face in an atlas the edit stays in the region and the neutral expression changes no
pixel."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.appearance import edit_face
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS
from moodrig.core.errors import InputError

pytestmark = pytest.mark.skipif(
    not (
        EDITOR_WEIGHTS.shipped_manifest().is_file() and LOCATOR_WEIGHTS.shipped_manifest().is_file()
    ),
    reason="the face editor's weights are not in this tree's weights/appearance/",
)


def _knight(shared_data: Path) -> np.ndarray:
    path = shared_data / "characters" / "kaykit_knight" / "knight_texture.png"
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("region", [None, (0.0, 0.5, 0.5, 1.0), (0.25, 0.25, 0.5, 0.5)])
def test_a_swatch_atlas_without_a_painted_face_is_refused(
    shared_data: Path, region: tuple[float, float, float, float] | None
) -> None:
    atlas = _knight(shared_data)
    with pytest.raises(InputError, match="shows no painted face"):
        edit_face(atlas, {"smile": 1.0}, region_uv=region, device="cpu")


def test_the_demo_head_is_edited_inside_its_region_only() -> None:
    from moodrig.core.demo_head import face_points, head_atlas, paint_atlas
    from moodrig.core.painter import DEFAULT_STYLE

    atlas = head_atlas(1024)
    texture = np.clip(np.rint(paint_atlas(atlas, DEFAULT_STYLE)[..., :3] * 255), 0, 255).astype(
        np.uint8
    )
    u0, v0, u1, v1 = atlas.region.as_tuple()
    neutral = edit_face(texture, {}, region_uv=(u0, v0, u1, v1), device="cpu")
    assert np.array_equal(neutral, texture), "the neutral expression changes no pixel"
    points = face_points(atlas, DEFAULT_STYLE)
    smile = edit_face(
        texture,
        {"smile": 1.0, "jaw_open": 0.5},
        region_uv=(u0, v0, u1, v1),
        features=points,
        device="cpu",
    )
    rect = atlas.region.pixels(texture.shape[1], texture.shape[0])
    changed = np.any(smile != texture, axis=2)
    inside = changed[rect.slices]
    assert changed.sum() == inside.sum() > 0, "only pixels of the face region change"
    assert inside.mean() < 0.2, "an expression moves the features, not the whole face"
