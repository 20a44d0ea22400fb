"""The face editor finds a region's feature points with the texture around it too
(``FaceEditor.framings``)."""

from __future__ import annotations

import numpy as np
import pytest

from moodrig.core.appearance.editor import CONTEXT_MARGINS, FaceEditor, Features
from moodrig.core.appearance.orientation import UPRIGHT, Orientation
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import point_error
from moodrig.weights_tools.styles import get_family, synthesize_atlas


class _Corner:
    """A locator stand-in that puts every point at the crop's top-left pixel centre."""

    def __init__(self) -> None:
        self.crops: list[tuple[int, int]] = []

    def __call__(
        self, work: np.ndarray, blocky: bool = False, orientation: Orientation = UPRIGHT
    ) -> Features:
        assert orientation == UPRIGHT
        self.crops.append(work.shape[:2])
        return Features(np.full((7, 2), 0.5), 1.0)


def test_framings_widen_the_region_clamped_at_the_texture_edges() -> None:
    editor = FaceEditor.load()
    corner = _Corner()
    editor.locate = corner  # type: ignore[method-assign]
    texture = np.zeros((200, 200, 4), np.float32)
    rect = PixelRect(80, 80, 120, 120)
    framings = editor.framings(texture, rect, np.full((7, 2), 0.5))
    widths = [round(m * 40) for m in CONTEXT_MARGINS]  # 6 and 12 pixels
    assert corner.crops == [(40 + 2 * w, 40 + 2 * w) for w in widths]
    assert len(framings) == 1 + len(widths)
    for found, w in zip(framings, [0, *widths], strict=True):  # each in the region's pixels
        assert np.allclose(found, 0.5 - w)
    corner.crops.clear()  # a region that fills the texture has no other framing
    whole = editor.framings(texture, PixelRect(0, 0, 200, 200), np.full((7, 2), 3.0))
    assert corner.crops == [] and len(whole) == 1 and np.allclose(whole[0], 3.0)


@pytest.mark.parametrize("family", ["painter", "pixel"])
def test_context_finds_held_out_faces_points_more_precisely(family: str) -> None:
    editor = FaceEditor.load()
    alone, with_context = [], []
    for k in range(4):
        rng = style_rng(family, "heldout", 30_000 + k)
        style = get_family(family).random_style(rng)
        side = int(512 * rng.uniform(0.3, 0.6))
        neutral = np.zeros((1, N_EXPRESSION), np.float32)
        sample = synthesize_atlas(rng, family, style, neutral, (512, 512), face_size=(side, side))
        x0, y0, x1, y1 = sample.region_px
        truth = sample.points - np.array([x0, y0])
        image = sample.images[0]
        face = editor.prepare(image, FaceRegion(*sample.region_uv))
        with_context.append(point_error(face.features.points, truth))
        blocky = face.grid is not None
        alone.append(point_error(editor.locate(image[y0:y1, x0:x1], blocky).points, truth))
    assert np.mean(with_context) < 0.8 * np.mean(alone), (alone, with_context)
