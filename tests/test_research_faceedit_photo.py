"""research/faceedit_photo.py: the contact sheet shows the unedited face, then one edit per
expression, each cropped to the region."""

from __future__ import annotations

from pathlib import Path

import cv2
import faceedit_photo as fp
import numpy as np
from faceedit_tiny import tiny_networks

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.expression import N_EXPRESSION


def test_the_sheet_holds_the_face_then_each_expression(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), (rng.random((96, 80, 3)) * 255).astype(np.uint8))
    texture = fp.photo_texture(path, 128)
    assert texture.shape == (128, 128, 4) and texture.dtype == np.uint8
    assert (texture[..., 3] == 255).all()
    gen, loc = tiny_networks()
    editor = FaceEditor.from_modules(gen, loc, {}, device="cpu")
    region = FaceRegion(0.25, 0.25, 0.75, 0.75)
    points = np.array([[20, 28], [44, 28], [20, 20], [44, 20], [26, 46], [38, 46], [32, 46]])
    sheet = fp.contact_sheet(texture, region, editor, points.astype(np.float64))
    assert sheet.shape == (64, 64 * (1 + N_EXPRESSION), 3)
    assert np.array_equal(sheet[:, :64], texture[32:96, 32:96, :3])
    cells = [sheet[:, 64 * (i + 1) : 64 * (i + 2)] for i in range(N_EXPRESSION)]
    assert any(not np.array_equal(c, sheet[:, :64]) for c in cells)
