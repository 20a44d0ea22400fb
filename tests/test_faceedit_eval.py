"""The face editor's report (weights_tools/faceedit_eval.py): the per-expression figures agree
with the overall ones and reach the report."""

from __future__ import annotations

import math

import numpy as np
from faceedit_tiny import tiny_networks

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.weights_tools.faceedit_eval import (
    NATIVE_PIXEL_FACES,
    evaluate_family,
    evaluate_native_pixel,
    new_colours,
    report,
)


def test_per_expression_change_averages_to_the_row_and_is_reported() -> None:
    gen, loc = tiny_networks()
    editor = FaceEditor.from_modules(gen, loc, {}, device="cpu")
    row = evaluate_family(editor, "flat", 256, 2, 0, 0, true_points=True)
    assert row.edits == 2 * len(EXPRESSION_NAMES)
    assert len(row.per_expression) == len(EXPRESSION_NAMES)
    assert all(math.isfinite(v) for v in row.per_expression)
    # With no mixed targets every scored edit is a single expression, each style scoring all.
    assert math.isclose(float(np.mean(row.per_expression)), row.change, rel_tol=1e-9)
    text = report(
        [row],
        1.0,
        {"edit_2048_ms": 1.0, "prepare_2048_ms": 1.0, "threads": 1},
        {"styles": 2, "mixed": 0, "editor_id": "x", "threads": 1},
    )
    assert "| family | " + " | ".join(EXPRESSION_NAMES) + " |" in text
    assert f"| flat | {row.per_expression[0]:+.2f} |" in text


def test_native_pixel_art_rows_count_palettes_and_reach_the_report() -> None:
    base = np.zeros((2, 2, 4), np.float32)
    base[0, 0] = 1.0
    one_new = base.copy()
    one_new[1, 1, :3] = 0.5  # one new colour (a flat paint)
    blend = one_new.copy()
    blend[1, 0, :3] = 0.25  # and a blend: two new colours
    assert new_colours(base, base) == 0
    assert new_colours(one_new, base) == 1 and new_colours(blend, base) == 2
    gen, loc = tiny_networks()
    editor = FaceEditor.from_modules(gen, loc, {}, device="cpu")
    face, atlas = NATIVE_PIXEL_FACES[0]
    row = evaluate_native_pixel(editor, face, atlas, 2, 0)
    assert row.face == face and row.edits + row.refused * len(EXPRESSION_NAMES) == 16
    text = report(
        [evaluate_family(editor, "pixel", 256, 1, 0, 0, true_points=True)],
        1.0,
        {"edit_2048_ms": 1.0, "prepare_2048_ms": 1.0, "threads": 1},
        {"styles": 1, "mixed": 0, "editor_id": "x", "threads": 1, "native_styles": 2},
        native=[row],
    )
    assert f"| {face} × {face} | {atlas[0]} × {atlas[1]} | {row.edits} | {row.refused} |" in text
