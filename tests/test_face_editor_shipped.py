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


@pytest.mark.parametrize("region", [None, (0.0, 0.5, 0.5, 1.0), (0.25, 0.25, 0.5, 0.5), "auto"])
def test_a_swatch_atlas_without_a_painted_face_is_refused(
    shared_data: Path, region: tuple[float, float, float, float] | str | None
) -> None:
    """The knight's swatch atlas has no painted face: a given region is refused, and none is
    found in it (upright or turned)."""
    atlas = _knight(shared_data)
    with pytest.raises(InputError, match="no painted face"):
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


@pytest.mark.parametrize("draw", range(4))
def test_a_pixel_art_face_closes_an_eye_in_its_own_colours(draw: int) -> None:
    """Held-out pixel-art faces (the report's draws, 1024² atlas): a closed eye's lid line is
    drawn in a colour the sprite already has, so the edit adds no colour to the face."""
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.region import FaceRegion
    from moodrig.core.expression import EXPRESSION_NAMES, N_EXPRESSION
    from moodrig.weights_tools.faceedit_data import style_rng
    from moodrig.weights_tools.styles import get_family, synthesize_atlas

    rng = style_rng("pixel", "heldout", 10_000 + draw)
    style = get_family("pixel").random_style(rng)
    side = int(1024 * rng.uniform(0.3, 0.6))
    exprs = np.zeros((1, N_EXPRESSION), np.float32)
    sample = synthesize_atlas(rng, "pixel", style, exprs, (1024, 1024), face_size=(side, side))
    neutral = sample.images[0]
    x0, y0, x1, y1 = sample.region_px
    editor = FaceEditor.load(device="cpu")
    face = editor.prepare(neutral, FaceRegion(*sample.region_uv))
    assert face.grid is not None
    closed = np.zeros((1, N_EXPRESSION), np.float32)
    closed[0, EXPRESSION_NAMES.index("eye_close_l")] = 1.0
    out = editor.edit(face, closed, np.zeros_like(closed))[0]
    before, after = neutral[y0:y1, x0:x1, :3], out[y0:y1, x0:x1, :3]
    assert not np.array_equal(before, after), "the eye closes"
    colours = {tuple(c) for c in before.reshape(-1, 3).tolist()}
    assert {tuple(c) for c in after.reshape(-1, 3).tolist()} <= colours


def test_on_a_photograph_an_upper_face_expression_changes_nothing_below_the_mouth(
    shared_data: Path,
) -> None:
    """A photograph is no style the editor learnt, and its mask opened small islands at the
    jaw line while the brows or eyes moved; only shapes near a feature are kept now."""
    from moodrig.core.appearance.align import FEATURE_INDEX
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.region import FaceRegion

    path = shared_data / "london_faces_dev" / "images" / "001_03.jpg"  # a frontal portrait
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    texture = cv2.cvtColor(
        cv2.resize(bgr, (1024, 1024), interpolation=cv2.INTER_CUBIC), cv2.COLOR_BGR2RGB
    )
    region = FaceRegion(0.32, 0.26, 0.69, 0.73)
    editor = FaceEditor.load(device="cpu")
    face = editor.prepare(texture.astype(np.float32) / 255.0, region)
    rect = face.rect
    corners = [FEATURE_INDEX["mouth_r"], FEATURE_INDEX["mouth_l"]]
    mouth = face.features.points[corners]  # region pixels
    below = rect.y0 + int(np.ceil(mouth[:, 1].max()))
    for name in ("brow_raise", "brow_furrow", "eye_close_l", "eye_close_r", "eye_wide"):
        out = edit_face(texture, {name: 1.0}, region.as_tuple(), editor=editor)
        rows = np.flatnonzero(np.any(out != texture, axis=(1, 2)))
        assert rows.size > 0, f"{name} changes the face"
        assert rows.max() < below, f"{name} changed row {rows.max()}, below the mouth ({below})"


@pytest.mark.parametrize("family", ["painter", "anime", "pixel"])
def test_a_face_turned_in_its_atlas_is_edited_as_its_upright_self(family: str) -> None:
    """UV packers turn islands by quarter turns; the locator learnt upright faces only and on
    a turned face answered with an upright layout on the wrong features."""
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.region import FaceRegion, PixelRect
    from moodrig.core.expression import N_EXPRESSION
    from moodrig.weights_tools.faceedit_data import style_rng
    from moodrig.weights_tools.styles import get_family, synthesize_atlas

    rng = style_rng(family, "heldout", 11_000)
    style = get_family(family).random_style(rng)
    neutral = np.zeros((1, N_EXPRESSION), np.float32)
    sample = synthesize_atlas(rng, family, style, neutral, (512, 512), face_size=(200, 200))
    atlas = sample.images[0]
    x0, y0, x1, y1 = sample.region_px
    target = np.zeros((1, N_EXPRESSION), np.float32)
    target[0, 1] = 1.0  # smile
    editor = FaceEditor.load(device="cpu")
    upright = editor.edit(editor.prepare(atlas, FaceRegion(*sample.region_uv)), target)[0]
    assert not np.array_equal(upright, atlas)
    for turns in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(atlas, turns))
        box = np.rot90(
            np.pad(np.ones((y1 - y0, x1 - x0), bool), ((y0, 512 - y1), (x0, 512 - x1))), turns
        )
        rows, cols = np.flatnonzero(box.any(1)), np.flatnonzero(box.any(0))
        rect = PixelRect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        region = FaceRegion.from_pixels(rect, 512, 512)
        out = editor.edit(editor.prepare(turned, region), target)[0]
        diff = np.abs(np.rot90(out, -turns) - upright)
        # Sampling positions differ by float rounding only: a few levels at most, here and there.
        assert diff.max() < 0.05 and diff.mean() < 1e-4, f"{turns} quarter turns"


@pytest.mark.parametrize(("family", "turns"), [("painter", 0), ("anime", 2), ("pixel", 1)])
def test_a_mirrored_face_closes_the_eye_the_mesh_shows_closing(family: str, turns: int) -> None:
    """A mirrored UV island shows the face flipped; told so (as the mesh tells the add-on),
    the editor closes the character's own left eye, as on its upright, unmirrored self. Told
    nothing, it closes the other one (the picture cannot tell a mirror)."""
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.orientation import Orientation
    from moodrig.core.appearance.region import FaceRegion
    from moodrig.core.expression import EXPRESSION_NAMES, N_EXPRESSION
    from moodrig.weights_tools.faceedit_data import style_rng
    from moodrig.weights_tools.styles import get_family, synthesize_atlas

    rng = style_rng(family, "heldout", 11_001)
    style = get_family(family).random_style(rng)
    neutral = np.zeros((1, N_EXPRESSION), np.float32)
    sample = synthesize_atlas(rng, family, style, neutral, (512, 512), face_size=(220, 220))
    x0, y0, x1, y1 = sample.region_px
    target = np.zeros((1, N_EXPRESSION), np.float32)
    target[0, EXPRESSION_NAMES.index("eye_close_l")] = 1.0
    editor = FaceEditor.load(device="cpu")
    upright = editor.edit(editor.prepare(sample.images[0], FaceRegion(*sample.region_uv)), target)
    lies = Orientation(turns, mirrored=True)
    box = np.pad(np.ones((y1 - y0, x1 - x0), bool), ((y0, 512 - y1), (x0, 512 - x1)))
    # The texture that, looked at as ``lies`` says, shows the upright face.
    atlas = np.ascontiguousarray(np.rot90(sample.images[0][:, ::-1], -turns))
    inside = np.rot90(box[:, ::-1], -turns)
    assert np.array_equal(lies.view(atlas), sample.images[0])
    rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
    region = FaceRegion(
        cols[0] / 512, 1 - (rows[-1] + 1) / 512, (cols[-1] + 1) / 512, 1 - rows[0] / 512
    )
    told = editor.edit(editor.prepare(atlas, region, orientation=lies), target)[0]
    diff = np.abs(lies.view(told) - upright[0])
    # Sampling positions differ by float rounding only: a few levels on a few pixels at most.
    assert diff.max() < 0.1 and diff.mean() < 1e-5
    untold = editor.edit(editor.prepare(atlas, region), target)[0]
    wrong = np.abs(lies.view(untold) - upright[0])
    assert wrong.max() > 0.5 and wrong.mean() > 100 * max(diff.mean(), 1e-6), (
        "taken as unmirrored, the other eye closes"
    )


def _leaning(family: str, degrees: float) -> tuple[np.ndarray, object, np.ndarray]:
    """A held-out face of ``family`` in a 512² atlas, turned ``degrees`` counter-clockwise
    about its centre (as an island packed at an angle): the atlas, the region round the turned
    face, and the true points in its pixels."""
    import cv2

    from moodrig.core.appearance.region import PixelRect
    from moodrig.core.expression import N_EXPRESSION
    from moodrig.weights_tools.faceedit_data import style_rng
    from moodrig.weights_tools.styles import get_family, synthesize_atlas

    rng = style_rng(family, "heldout", 11_002)
    style = get_family(family).random_style(rng)
    neutral = np.zeros((1, N_EXPRESSION), np.float32)
    sample = synthesize_atlas(rng, family, style, neutral, (512, 512), face_size=(200, 200))
    x0, y0, x1, y1 = sample.region_px
    m = cv2.getRotationMatrix2D(((x0 + x1) / 2, (y0 + y1) / 2), degrees, 1.0)
    atlas = cv2.warpAffine(sample.images[0], m, (512, 512), borderMode=cv2.BORDER_REFLECT)
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ m.T
    lo = np.clip(np.floor(corners.min(0)), 0, 512).astype(int)
    hi = np.clip(np.ceil(corners.max(0)), 0, 512).astype(int)
    rect = PixelRect(int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))
    truth = np.c_[sample.points, np.ones(len(sample.points))] @ m.T - np.array([rect.x0, rect.y0])
    return np.asarray(atlas, np.float32), rect, truth


@pytest.mark.parametrize("family", ["painter", "anime", "painterly"])
def test_a_face_leaning_in_its_atlas_is_found_in_a_level_view(family: str) -> None:
    """The locator learnt faces within a few degrees of level; a face leaning 30° is located
    again in a view turned level, and told the lean (as the mesh tells it) at 45° too."""
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.orientation import Orientation
    from moodrig.weights_tools.faceedit_eval import point_error

    editor = FaceEditor.load(device="cpu")
    atlas, rect, truth = _leaning(family, 30.0)
    found, why = editor.find_face(atlas, rect)
    assert found is not None, why
    assert point_error(found.points, truth) < 0.1
    atlas, rect, truth = _leaning(family, 45.0)
    told, why = editor.find_face(atlas, rect, orientation=Orientation(0, False, -45.0))
    assert told is not None, why
    assert point_error(told.points, truth) < 0.1
