"""The face editor's guarantees, checked with small untrained networks: what is outside the
region, what a zero edit returns, pixel art's blocks, the no-face refusal, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moodrig.core.appearance.align import CANONICAL_POINTS
from moodrig.core.appearance.api import edit_face
from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.locator import Locator, LocatorConfig
from moodrig.core.appearance.model import FieldConfig, FieldGenerator
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.errors import InputError


def _editor(mask_open: bool = True, presence: float = 4.0) -> FaceEditor:
    torch.manual_seed(0)
    gen = FieldGenerator(FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1))
    with torch.no_grad():
        bias = gen.head.bias
        assert bias is not None
        bias[2] = 4.0 if mask_open else -20.0  # mask logit
        bias[0:2] = 0.3  # some flow
        gen.head.weight.mul_(0.0)
    loc = Locator(LocatorConfig(resolution=32, channels=(4, 4, 4, 4)))
    with torch.no_grad():
        loc.presence.bias.fill_(presence)
    return FaceEditor.from_modules(gen.eval(), loc.eval(), {}, device="cpu")


def _points(w: int, h: int) -> np.ndarray:
    return CANONICAL_POINTS * np.array([w, h])


def _texture(h: int = 96, w: int = 128) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.random((h, w, 4), dtype=np.float32)


def test_zero_edit_returns_the_texture_bit_identical() -> None:
    ed = _editor()
    tex = _texture()
    face = ed.prepare(tex, FaceRegion(0.25, 0.25, 0.75, 0.9), _points(64, 62))
    out = ed.edit(face, np.zeros((2, 8), np.float32), np.zeros((2, 8), np.float32))
    assert np.array_equal(out[0], tex) and np.array_equal(out[1], tex)


def test_outside_the_region_is_bit_identical_and_inside_changes() -> None:
    ed = _editor()
    tex = _texture()
    region = FaceRegion(0.25, 0.25, 0.75, 0.9)
    rect = region.pixels(128, 96)
    face = ed.prepare(tex, region, _points(rect.width, rect.height))
    out = ed.edit(face, np.full((1, 8), 0.5, np.float32), np.zeros((1, 8), np.float32))[0]
    outside = np.ones(tex.shape[:2], bool)
    outside[rect.y0 + 1 : rect.y1 - 1, rect.x0 + 1 : rect.x1 - 1] = False
    assert np.array_equal(out[outside], tex[outside])
    assert not np.array_equal(out, tex)
    assert np.array_equal(out[..., 3], tex[..., 3])  # alpha is never edited


def test_a_closed_mask_changes_nothing() -> None:
    ed = _editor(mask_open=False)
    tex = _texture()
    face = ed.prepare(tex, None, _points(128, 96))
    out = ed.edit(face, np.full((1, 8), 1.0, np.float32))[0]
    assert np.array_equal(out, tex)


def test_pixel_art_stays_on_its_block_grid() -> None:
    ed = _editor()
    rng = np.random.default_rng(5)
    art = rng.integers(0, 256, (16, 16, 4)).astype(np.float32) / 255.0
    art[..., 3] = 1.0
    tex = np.repeat(np.repeat(art, 8, axis=0), 8, axis=1)  # 128 × 128, blocks of 8
    face = ed.prepare(tex, None, _points(128, 128))
    assert face.grid is not None and face.grid.x.period == face.grid.y.period == 8.0
    out = ed.edit(face, np.full((1, 8), 0.8, np.float32), np.zeros((1, 8), np.float32))[0]
    blocks = out.reshape(16, 8, 16, 8, 4)
    assert np.all(blocks == blocks[:, :1, :, :1, :])  # every 8 × 8 block is one colour
    assert not np.array_equal(out, tex)


def test_pixel_art_scaled_by_a_fraction_stays_on_its_uneven_blocks() -> None:
    """16 art pixels scaled ×10.8 by nearest neighbour: blocks of 10 and 11 texture pixels.
    The edit is made on the art pixels, so each block is still one colour afterwards."""
    ed = _editor()
    rng = np.random.default_rng(6)
    art = rng.integers(0, 256, (16, 16, 4)).astype(np.float32) / 255.0
    art[..., 3] = 1.0
    blocks = np.floor((np.arange(173) + 0.5) / 10.8125).astype(int)
    tex = art[blocks][:, blocks]
    face = ed.prepare(tex, None, _points(173, 173))
    assert face.grid is not None and face.work.shape[:2] == (16, 16)
    out = ed.edit(face, np.full((1, 8), 0.8, np.float32), np.zeros((1, 8), np.float32))[0]
    starts = np.flatnonzero(np.diff(blocks)) + 1
    for rows in np.split(np.arange(173), starts):
        for cols in np.split(np.arange(173), starts):
            block = out[rows][:, cols]
            assert np.all(block == block[:1, :1])
    assert not np.array_equal(out, tex)


@pytest.mark.parametrize("paint", [False, True])
def test_pixel_art_at_its_own_resolution_gets_no_blended_colours(paint: bool) -> None:
    """A 24 × 24 face of 6 colours, one texel per art pixel (a face in a small skin atlas):
    every output texel is one of its colours, or the paint colour; never a blend of them."""
    ed = _editor()
    if paint:
        with torch.no_grad():
            bias = ed.generator.head.bias
            assert bias is not None
            bias[9] = 4.0  # paint everywhere the mask reaches, in a grey (sigmoid(0) = 0.5)
    rng = np.random.default_rng(8)
    palette = rng.random((6, 4)).astype(np.float32)
    palette[:, 3] = 1.0
    tex = palette[rng.integers(0, 6, (24, 24))]
    face = ed.prepare(tex, None, _points(24, 24))
    assert face.grid is not None and face.grid.x.period == 1.0
    out = ed.edit(face, np.full((1, 8), 0.8, np.float32), np.zeros((1, 8), np.float32))[0]
    allowed = {tuple(c) for c in palette} | ({(0.5, 0.5, 0.5, 1.0)} if paint else set())
    assert {tuple(c) for c in out.reshape(-1, 4)} <= allowed
    assert not np.array_equal(out, tex)
    painted = rng.random((24, 24, 4)).astype(np.float32)  # a painted face: many colours
    assert ed.prepare(painted, None, _points(24, 24)).grid is None


def test_a_region_without_a_face_is_refused_and_bad_points_too() -> None:
    ed = _editor(presence=-6.0)
    with pytest.raises(InputError, match="shows no painted face") as part:
        ed.prepare(_texture(), FaceRegion(0.0, 0.0, 0.5, 0.5))
    assert "Find Face" not in str(part.value)
    with pytest.raises(InputError, match="shows no painted face") as whole:
        ed.prepare(_texture(), None)
    assert "Find Face" in str(whole.value) and "'auto'" in str(whole.value), "how to find it"
    with pytest.raises(InputError, match="feature points"):
        ed.prepare(_texture(), None, np.zeros((3, 2)))


def test_edit_face_keeps_uint8_bytes_outside_the_region() -> None:
    ed = _editor()
    rng = np.random.default_rng(7)
    tex = rng.integers(0, 256, (64, 96, 4), dtype=np.uint8)
    out = edit_face(tex, {"smile": 1.0}, (0.5, 0.0, 1.0, 1.0), _points(48, 64), editor=ed)
    assert out.dtype == np.uint8 and out.shape == tex.shape
    assert np.array_equal(out[:, :48], tex[:, :48])
    same = edit_face(tex, {}, (0.5, 0.0, 1.0, 1.0), _points(48, 64), editor=ed)
    assert np.array_equal(same, tex)
    with pytest.raises(InputError, match="unknown expression"):
        edit_face(tex, {"grin": 1.0}, None, _points(96, 64), editor=ed)


def test_finetune_learns_the_sheet_at_its_own_resolution() -> None:
    from moodrig.core.appearance.finetune import finetune_face
    from moodrig.core.editing.finetune import SheetTraining

    torch.manual_seed(0)
    gen = FieldGenerator(
        FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1)
    )  # fresh: mask nearly shut
    loc = Locator(LocatorConfig(resolution=32, channels=(4, 4, 4, 4)))
    ed = FaceEditor.from_modules(gen.eval(), loc.eval(), {}, device="cpu")
    rng = np.random.default_rng(11)
    neutral = rng.random((64, 64, 4), dtype=np.float32)
    neutral[..., 3] = 1.0
    smile = neutral.copy()
    smile[40:48, 20:44, :3] = 0.1  # the sheet's "smile": a dark mouth
    pts = _points(64, 64)
    e = np.zeros(8, np.float32)
    e[1] = 1.0
    tuned = finetune_face(
        ed, neutral, [(smile, e)], features=pts, config=SheetTraining(steps=60, batch=4, lr=3e-3)
    )
    assert tuned.model_id != ed.model_id
    face = tuned.prepare(neutral, None, pts)
    before = ed.edit(ed.prepare(neutral, None, pts), e[None], np.zeros((1, 8), np.float32))[0]
    after = tuned.edit(face, e[None], np.zeros((1, 8), np.float32))[0]
    assert np.abs(after - smile).mean() < np.abs(before - smile).mean()
    with pytest.raises(InputError, match="one size"):
        finetune_face(ed, neutral, [(smile[:32], e)], features=pts, config=SheetTraining(steps=1))


def test_finetune_learns_a_pixel_art_sheet_and_keeps_its_blocks() -> None:
    from moodrig.core.appearance.finetune import finetune_face
    from moodrig.core.editing.finetune import SheetTraining

    torch.manual_seed(0)
    gen = FieldGenerator(FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1))
    loc = Locator(LocatorConfig(resolution=32, channels=(4, 4, 4, 4)))
    ed = FaceEditor.from_modules(gen.eval(), loc.eval(), {}, device="cpu")
    rng = np.random.default_rng(12)
    palette = rng.random((5, 4)).astype(np.float32)
    palette[:, 3] = 1.0
    art = palette[rng.integers(0, 5, (16, 16))]
    smile_art = art.copy()
    smile_art[10:12, 5:11, :3] = 0.1  # the sheet's "smile": a dark mouth, in art pixels
    neutral, smile = (np.repeat(np.repeat(a, 4, axis=0), 4, axis=1) for a in (art, smile_art))
    pts = _points(64, 64)
    e = np.zeros(8, np.float32)
    e[1] = 1.0
    tuned = finetune_face(
        ed, neutral, [(smile, e)], features=pts, config=SheetTraining(steps=60, batch=4, lr=3e-3)
    )
    face = tuned.prepare(neutral, None, pts)
    assert face.grid is not None and face.grid.x.period == 4.0
    before = ed.edit(ed.prepare(neutral, None, pts), e[None], np.zeros((1, 8), np.float32))[0]
    after = tuned.edit(face, e[None], np.zeros((1, 8), np.float32))[0]
    assert np.abs(after - smile).mean() < np.abs(before - smile).mean()
    blocks = after.reshape(16, 4, 16, 4, 4)
    assert np.all(blocks == blocks[:, :1, :, :1, :])
