"""The face editor's report (weights_tools/faceedit_eval.py): the per-expression figures agree
with the overall ones and reach the report."""

from __future__ import annotations

import math

import numpy as np
from faceedit_tiny import tiny_networks

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.weights_tools.faceedit_eval import evaluate_family, report


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
