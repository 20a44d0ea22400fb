"""research/faceedit_select.py: its inference variants change what the editor predicts, and
undo to the product's own editing."""

from __future__ import annotations

import faceedit_select as fs
import numpy as np
import torch
from faceedit_tiny import tiny_networks

from moodrig.core.appearance import editor as editor_module
from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.fields import decisive_mask


def test_variants_scale_the_flow_and_set_the_mask_contrast() -> None:
    gen, loc = tiny_networks()
    ed = FaceEditor.from_modules(gen, loc, {}, device="cpu")
    texture = np.random.default_rng(0).random((64, 64, 4)).astype(np.float32)
    face = ed.prepare(
        texture, None, [[20, 28], [44, 28], [20, 20], [44, 20], [26, 46], [38, 46], [32, 46]]
    )
    target = np.eye(1, 8, 1, dtype=np.float32)
    try:
        fs._variant(2.0, 1.0)
        plain = ed.fields(face, target, None)
        fs._variant(1.0, 1.5)
        raw = ed.fields(face, target, None)
    finally:
        FaceEditor.fields = fs._PLAIN_FIELDS  # type: ignore[method-assign]
        editor_module.decisive_mask = decisive_mask
    assert torch.allclose(raw.flow, 1.5 * plain.flow)
    assert torch.equal(decisive_mask(raw.mask), plain.mask)
