"""Finding the face region in a whole atlas: the search's geometry, and the shipped locator on
held-out painted faces placed in atlases (found, and edited as well as in their true region),
on face-free atlases (nothing found) and through edit_face and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.appearance.align import CANONICAL_POINTS, FEATURE_INDEX
from moodrig.core.appearance.face_search import (
    MARGIN,
    WINDOW_FRACTIONS,
    face_box,
    overlap,
    search_windows,
)
from moodrig.core.appearance.region import PixelRect
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS

SHIPPED = (
    EDITOR_WEIGHTS.shipped_manifest().is_file() and LOCATOR_WEIGHTS.shipped_manifest().is_file()
)
needs_weights = pytest.mark.skipif(not SHIPPED, reason="the face editor's weights are not here")


def test_windows_cover_the_image_to_its_edges_at_every_size() -> None:
    windows = search_windows(300, 500)
    for fraction in WINDOW_FRACTIONS:
        side = max(8, int(300 * fraction))
        mine = [(x, y) for x, y, s in windows if s == side]
        assert mine, fraction
        assert max(x for x, _ in mine) == 500 - side and max(y for _, y in mine) == 300 - side
        assert min(x for x, _ in mine) == 0 and min(y for _, y in mine) == 0


def test_the_box_is_the_canonical_square_widened_by_the_margin() -> None:
    # A face drawn as the canonical layout at 200 px, placed at (50, 80).
    points = CANONICAL_POINTS * 200 + np.array([50.0, 80.0])
    box = face_box(points, 1000, 1000)
    assert box is not None
    m = MARGIN * 200
    assert box == PixelRect(
        int(np.floor(50 - m)), int(np.floor(80 - m)), int(np.ceil(250 + m)), int(np.ceil(280 + m))
    )
    assert face_box(points, 150, 150) == PixelRect(30, 60, 150, 150), "clipped to the image"
    upside_down = points.copy()
    upside_down[:, 1] = -upside_down[:, 1]
    assert face_box(upside_down, 1000, 1000) is None, "a mouth above the eyes is no face"


def test_overlap() -> None:
    a = PixelRect(0, 0, 10, 10)
    assert overlap(a, a) == 1.0
    assert overlap(a, PixelRect(5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert overlap(a, PixelRect(20, 20, 30, 30)) == 0.0


def _atlas(family: str, draw: int, size: int = 1024):  # type: ignore[no-untyped-def]
    from moodrig.core.expression import N_EXPRESSION
    from moodrig.weights_tools.faceedit_data import style_rng
    from moodrig.weights_tools.styles import get_family, synthesize_atlas

    rng = style_rng(family, "heldout", 11_000 + draw)  # the selection draws (seed 1)
    style = get_family(family).random_style(rng)
    side = int(size * rng.uniform(0.3, 0.6))
    exprs = np.zeros((1, N_EXPRESSION), np.float32)
    return synthesize_atlas(rng, family, style, exprs, (size, size), face_size=(side, side))


@needs_weights
@pytest.mark.parametrize("family", ["painter", "anime", "flat", "painterly"])
def test_a_painted_face_is_found_in_its_atlas(family: str) -> None:
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.face_search import find_face_region

    sample = _atlas(family, 0)
    found = find_face_region(FaceEditor.load(device="cpu"), sample.images[0])
    assert found is not None
    truth = PixelRect(*sample.region_px)
    assert overlap(found.rect, truth) >= 0.3
    inside = (sample.points >= [found.rect.x0, found.rect.y0]) & (
        sample.points < [found.rect.x1, found.rect.y1]
    )
    assert inside.all(), "every feature point lies in the found region"


@needs_weights
@pytest.mark.parametrize(
    ("family", "draw", "turns"),
    [("painter", 0, 1), ("anime", 0, 1), ("anime", 1, 2), ("flat", 0, 3)],
)
def test_a_face_turned_in_its_atlas_is_found(family: str, draw: int, turns: int) -> None:
    """UV packers turn islands: a face lying on its side or upside down is found too."""
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.face_search import find_face_region
    from moodrig.core.appearance.turns import turn_points

    sample = _atlas(family, draw)
    image = np.ascontiguousarray(np.rot90(sample.images[0], turns))
    x0, y0, x1, y1 = sample.region_px
    corners = turn_points(np.array([[x0, y0], [x1, y1]], float), turns, 1024, 1024)
    truth = PixelRect(
        *np.rint(corners.min(axis=0)).astype(int), *np.rint(corners.max(axis=0)).astype(int)
    )
    points = turn_points(sample.points, turns, 1024, 1024)
    found = find_face_region(FaceEditor.load(device="cpu"), image)
    assert found is not None
    assert overlap(found.rect, truth) >= 0.3
    inside = (points >= [found.rect.x0, found.rect.y0]) & (points < [found.rect.x1, found.rect.y1])
    assert inside.all(), "every feature point lies in the found region"
    assert found.orientation.turns == (4 - turns) % 4, "the turn that shows the face upright"
    # Located again in the found region as the editor locates it (the turn from the picture),
    # the features land on the true ones: the face is edited the right way up.
    editor = FaceEditor.load(device="cpu")
    located, why = editor.find_face(image, found.rect)
    assert located is not None, why
    seen = located.points + np.array([found.rect.x0, found.rect.y0])
    eyes = np.linalg.norm(points[FEATURE_INDEX["eye_l"]] - points[FEATURE_INDEX["eye_r"]])
    assert np.linalg.norm(seen - points, axis=1).max() < 0.35 * eyes


@needs_weights
def test_face_free_atlases_show_no_face() -> None:
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.face_search import find_face_region
    from moodrig.weights_tools.styles import atlas_content

    editor = FaceEditor.load(device="cpu")
    rng = np.random.default_rng([3, 404])
    for _ in range(3):
        img = atlas_content(rng, 1024, 1024, tuple(rng.uniform(0.3, 0.95, 3)))
        assert find_face_region(editor, img.astype(np.float32)) is None


@needs_weights
def test_edit_face_with_an_auto_region_edits_only_the_found_face(tmp_path: Path) -> None:
    from moodrig.core.appearance import edit_face, find_region

    sample = _atlas("painter", 1)
    texture = np.clip(np.rint(sample.images[0][..., :3] * 255), 0, 255).astype(np.uint8)
    region = find_region(texture, "cpu")
    out = edit_face(texture, {"smile": 1.0}, region_uv="auto", device="cpu")
    assert np.array_equal(out, edit_face(texture, {"smile": 1.0}, region.as_tuple(), device="cpu"))
    rect = region.pixels(texture.shape[1], texture.shape[0])
    changed = np.any(out != texture, axis=2)
    assert 0 < changed.sum() == changed[rect.slices].sum()
    # The command line: `locate --region auto` says where it found the face.
    path = tmp_path / "atlas.png"
    cv2.imwrite(str(path), cv2.cvtColor(texture, cv2.COLOR_RGB2BGR))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "moodrig.core.appearance",
            "locate",
            str(path),
            "--region",
            "auto",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["region"] == pytest.approx(list(region.as_tuple()))


@needs_weights
def test_no_face_found_is_one_clear_line(tmp_path: Path) -> None:
    from moodrig.core.appearance import edit_face
    from moodrig.core.errors import InputError

    flat = np.full((512, 512, 3), 180, np.uint8)
    with pytest.raises(InputError, match="no painted face was found in the texture"):
        edit_face(flat, {"smile": 1.0}, region_uv="auto", device="cpu")


def test_a_pixel_art_face_gets_a_box_of_blocks_only() -> None:
    """The box round a pixel-art face reaches into the atlas around the sprite, where the
    blocks end; the region is tightened until it is all blocks, so the face is edited block by
    block (a held-out pixel face whose box took in atlas clutter)."""
    from moodrig.core.appearance.face_search import blocky_box
    from moodrig.core.appearance.pixelart import detect_blocks

    sample = _atlas("pixel", 0)
    texture = sample.images[0]
    box = face_box(sample.points, *texture.shape[:2])
    assert box is not None
    assert detect_blocks(texture[box.slices][..., :3]) is None, "the wide box is not all blocks"
    tight = blocky_box(texture, sample.points, box)
    assert detect_blocks(texture[tight.slices][..., :3]) is not None
    inside = (sample.points >= [tight.x0, tight.y0]) & (sample.points < [tight.x1, tight.y1])
    assert inside.all(), "every feature point stays in the region"
    painted = _atlas("painter", 0)
    wide = face_box(painted.points, *painted.images[0].shape[:2])
    assert wide is not None
    assert blocky_box(painted.images[0], painted.points, wide) == wide, "painted art: as found"


def test_an_auto_region_edits_the_face_in_the_turn_it_was_found_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """edit_face and the CLI pass the search's turn on, unless an orientation is given."""
    from moodrig.core.appearance import api
    from moodrig.core.appearance.face_search import FoundRegion
    from moodrig.core.appearance.orientation import Orientation
    from moodrig.core.appearance.region import FaceRegion

    found = FoundRegion(
        FaceRegion(0.1, 0.1, 0.6, 0.6), PixelRect(6, 26, 38, 58), 0.9, Orientation(3)
    )
    monkeypatch.setattr(api, "_found", lambda texture, editor: found)
    seen: list[object] = []

    class Editor:
        def prepare(self, texture, region, features, orientation):  # type: ignore[no-untyped-def]
            seen.append((region, orientation))
            return texture

        def edit(self, face, targets, sources):  # type: ignore[no-untyped-def]
            return face[None]

    texture = np.zeros((64, 64, 4), np.uint8)
    api.edit_face(texture, {"smile": 1.0}, "auto", editor=Editor())  # type: ignore[arg-type]
    given = Orientation(1, mirrored=True)
    api.edit_face(texture, {}, "auto", editor=Editor(), orientation=given)  # type: ignore[arg-type]
    api.edit_face(texture, {}, (0, 0, 1, 1), editor=Editor())  # type: ignore[arg-type]
    assert seen == [
        (found.region, Orientation(3)),
        (found.region, given),
        (FaceRegion(0.0, 0.0, 1.0, 1.0), None),
    ]
