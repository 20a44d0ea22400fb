"""Sync against ground truth: clips with known change times (weights_tools/sync_truth.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodrig.weights_tools.sync_truth import FPS, SCHEDULE, match_scores, smile_weights


def test_truth_labels_follow_the_schedule_with_dissolves() -> None:
    w = smile_weights()
    assert len(w) == round(sum(s for _, s in SCHEDULE) * FPS)
    held = [e == "smiling" for e, _ in SCHEDULE]
    starts = np.cumsum([0] + [round(s * FPS) for _, s in SCHEDULE])
    for on, a, b in zip(held, starts[:-1], starts[1:], strict=True):
        mid = w[a + 4 : b - 4]
        assert np.all(mid == (1.0 if on else 0.0))
    ramp = w[starts[1] - 2 : starts[1] + 2]
    assert np.all(np.diff(ramp) > 0) and ramp.min() > 0 and ramp.max() < 1


def test_match_scores() -> None:
    s = match_scores(np.array([10, 50, 90]), np.array([11, 55, 200]))
    assert s["f1@2"] == pytest.approx(1 / 3) and s["f1@6"] == pytest.approx(2 / 3)
    assert s["median_offset"] == 3.0


@pytest.mark.shared
@pytest.mark.parametrize("which", ["shipped", "amee"])
def test_one_truth_clip_end_to_end(shared_data: Path, which: str) -> None:
    """A London person's clip: the analysis finds the six smile changes near their true
    frames, the body moves at the three smile onsets, the mouth painted by the shipped editor
    (the face editor) and by AMEE-GAN follows the truth."""
    from moodrig.core.amee.infer import AmeeEditor
    from moodrig.weights_tools.sync_truth import make_clip, people, score_clip, shipped_editor

    clip = make_clip(*people(shared_data)[0])
    editor = shipped_editor() if which == "shipped" else AmeeEditor.load()
    r = score_clip(clip, editor=editor)
    assert r["analysis"]["n_truth"] == 6 and r["analysis"]["f1@4"] >= 0.8
    assert r["behavior"]["n_truth"] == 3 and r["behavior"]["f1@4"] >= 0.6
    assert r["texture"]["ok"] is True and abs(r["texture"]["lag"]) <= 2
