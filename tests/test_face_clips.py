"""Labelled smile clips from the London photos (evaluation data) and their scoring."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.weights_tools import face_clips as fc
from moodrig.weights_tools.face_eval_video import Scores


def test_schedules_label_every_frame_and_held_runs_split_at_ramps_and_cuts() -> None:
    for kind in (0, 1):
        clip = fc.make_clip(("a", "b"), kind, seed=3)
        n = sum(s.frames for s in clip.shots)
        assert len(clip.labels) == len(clip.who) == len(clip.view) == n
        assert set(clip.labels) <= set(fc.LABELS) and {
            "neutral",
            "smiling",
            "faint",
            "ramp",
        } <= set(clip.labels)
        runs = fc.held_runs(clip.labels, clip.who)
        for a, b, expr in runs:
            labs = {clip.labels[i] for i in range(a, b)}
            assert "ramp" not in labs and len({clip.who[i] for i in range(a, b)}) == 1
            assert labs <= ({"neutral"} if expr == "neutral" else {"smiling", "faint"})
        # a view change inside a held expression does not end its run
        assert any(len({clip.view[i] for i in range(a, b)} - {"turn"}) > 1 for a, b, _ in runs)
    assert "right_3quarter" not in {
        v
        for v, lab in zip(clip.view, clip.labels, strict=True)
        if lab == "neutral" and clip.who[0] == 0
    }  # schedule 1: the right 3/4 view never rests


def test_morph_keeps_both_ends_and_warps_toward_the_smile() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:120]
    img = np.stack([128 + 100 * np.sin(xx / 9.0), 128 + 100 * np.cos(yy / 7.0), (xx + yy)], axis=2)
    img = np.clip(img, 0, 255).astype(np.uint8)
    ys, xs = np.mgrid[20:100:8, 20:100:8]
    pts = np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float64)
    lm = np.zeros((468, 2))
    lm[: len(pts)] = pts
    lm[len(pts) :] = pts.mean(axis=0) + rng.normal(0, 5, (468 - len(pts), 2))
    # the "smiling" photo: the same picture 3 px to the right, landmarks too
    shifted = cv2.warpAffine(
        img, np.float32([[1, 0, 3], [0, 1, 0]]), (120, 120), borderMode=cv2.BORDER_REPLICATE
    )
    m = fc.Morpher(img, lm, np.asarray(shifted, np.uint8), lm + np.array([3.0, 0.0]))
    assert np.array_equal(m.level(0.0), img)
    assert (
        np.abs(m.level(1.0).astype(int) - img)[10:110, 10:110].mean() < 2
    )  # aligned back onto the neutral
    half = m.level(0.5).astype(int)  # both photos warped onto the same shape: no ghost
    assert np.abs(half - img)[10:110, 10:110].mean() < 3
    identity = fc.piecewise_affine(img, m.p0, m.p0, m.triangles)
    assert np.abs(identity.astype(int) - img).max() <= 1


def test_scores_count_flips_inside_held_expressions() -> None:
    labels = ["neutral"] * 10 + ["ramp"] * 2 + ["smiling"] * 10
    who = [0] * 22
    decided = np.array([False] * 4 + [True, False] * 3 + [True] * 12)
    s = Scores()
    s.add(labels, who, decided, np.linspace(0, 1, 22), np.ones(22, bool))
    out = s.summary()
    assert out["flips_max"] == 6 and out["runs"] == 2 and out["unsettled"] == 0
    assert out["accuracy_neutral"] == pytest.approx(7 / 10) and out["accuracy_smiling"] == 1.0
    assert out["frames"] == 20 and out["frames_learnt"] == 20


@pytest.mark.slow
@pytest.mark.shared
def test_the_person_baseline_helps_on_a_held_out_clip(shared_data: Path) -> None:
    """One clip of a person the calibration was not fitted on, through the product's video
    path: the person's own neutral does not lower the per-frame accuracy, and the stable
    decision changes at most twice inside any held expression."""
    from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
    from moodrig.core.face.baseline import BaselineConfig
    from moodrig.core.face.decision import smile_states
    from moodrig.core.face.video import VideoConfig, analyze_frames
    from moodrig.weights_tools.face_calibrate import (
        fit,
        image_loader,
        observe,
        person_folds,
        read_labels,
    )
    from moodrig.weights_tools.face_eval_video import FOLDS, clips_by_fold

    samples = [s for s in read_labels(shared_data) if not s.view.endswith("profile")]
    obs = observe(shared_data, samples, FaceAnalyzer(AnalyzerConfig()))
    photos = fc.load_people(shared_data, samples, obs)
    folds = person_folds([s.face_id for s in samples], FOLDS)
    cal = fit(samples, obs, folds != 0, image_loader(shared_data, samples))
    clip = next(clips_by_fold(samples, list(photos), 2))[1][
        1
    ]  # the second schedule: starts smiling
    pair = [photos[clip.people[0]], photos[clip.people[1]]]
    scores = {}
    for name, base in (("population", None), ("person", BaselineConfig())):
        cfg = VideoConfig(person_baseline=base)
        track = analyze_frames(
            fc.frames(clip, pair), fc.FPS, config=cfg, analyzer=FaceAnalyzer(cfg.analyzer, cal)
        )
        s = Scores()
        s.add(clip.labels, clip.who, smile_states(track, cfg.smile_decision))
        scores[name] = s.summary()
    assert scores["person"]["accuracy"] >= scores["population"]["accuracy"] - 0.01, scores
    assert scores["person"]["flips_max"] <= 2, scores
