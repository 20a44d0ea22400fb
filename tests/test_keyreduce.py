"""Sparse keys: Blender's Bézier evaluation, the fit's guarantee, every rotation mode, the demo
clip's reduction and the behavior episodes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bpy_runner import run_bpy

from moodrig.core.bpfa import behavior_track, load_default_library
from moodrig.core.bpfa.model import Segment, Timeline
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.keyreduce import (
    DEFAULT_TOLERANCE,
    Episode,
    FCurveKeys,
    episode_ranges,
    evaluate,
    fit_curve,
    reduce_rotation,
    sparse_summary,
)
from moodrig.core.rotation import ROTATION_MODES, angle_between, euler_to_matrix, from_mode, to_mode

TOL = DEFAULT_TOLERANCE


def demo_clip() -> dict[str, np.ndarray]:
    return behavior_track(scripted_track(24.0, 10.0), load_default_library(), seed=0).curves


def test_evaluation_is_blenders() -> None:
    """Keys with free handles (one pair reaching past the next key, which Blender shortens),
    evaluated by bpy's F-curve and by ``evaluate``."""
    keys = FCurveKeys(
        frames=np.array([1.0, 7.0, 10.0, 30.0]),
        values=np.array([0.0, 1.0, -0.5, 0.2]),
        left=np.array([[0.0, 0.3], [4.0, 1.4], [9.5, -0.7], [20.0, 1.0]]),
        right=np.array([[4.0, -0.4], [12.0, 0.2], [14.0, 0.1], [31.0, 0.2]]),
    )
    frames = np.linspace(-2.0, 33.0, 141)
    res = run_bpy(f"""
        import bpy
        keys = {[k.tolist() for k in (keys.frames, keys.values, keys.left, keys.right)]!r}
        act = bpy.data.actions.new("a")
        fc = act.fcurves.new("location", index=0) if hasattr(act, "fcurves") else None
        if fc is None:  # layered actions (Blender 4.4+): a slot and a channelbag
            slot = act.slots.new(id_type="OBJECT", name="o")
            layer = act.layers.new("l")
            strip = layer.strips.new(type="KEYFRAME")
            fc = strip.channelbag(slot, ensure=True).fcurves.new("location", index=0)
        fr, va, le, ri = keys
        fc.keyframe_points.add(len(fr))
        for k, f, v, l, r in zip(fc.keyframe_points, fr, va, le, ri):
            k.co = (f, v)
            k.interpolation = "BEZIER"
            k.handle_left_type = k.handle_right_type = "FREE"
            k.handle_left, k.handle_right = l, r
        fc.update()
        report([fc.evaluate(f) for f in {frames.tolist()!r}])
    """)
    np.testing.assert_allclose(evaluate(keys, frames), res, atol=2e-6)


def test_fit_stays_within_the_tolerance_and_keeps_the_shape() -> None:
    t = np.arange(240, dtype=np.float64)
    smooth = 0.4 * np.sin(t / 17.0) + 0.1 * np.sin(t / 5.3)
    kinked = np.clip(smooth, -0.3, 0.25)
    for y in (smooth, kinked):
        keys = fit_curve(y, TOL, first_frame=1.0)
        assert keys.frames[0] == 1.0 and keys.frames[-1] == 240.0
        err = np.abs(evaluate(keys, t + 1.0) - y)
        assert err.max() <= TOL
        assert len(keys) < 0.25 * len(y)
        # Handles sit at a third of each neighbouring gap and are aligned through the key.
        gap = np.diff(keys.frames)
        np.testing.assert_allclose(keys.right[:-1, 0] - keys.frames[:-1], gap / 3)
        np.testing.assert_allclose(keys.frames[1:] - keys.left[1:, 0], gap / 3)
        d_left = keys.values - keys.left[:, 1]
        d_right = keys.right[:, 1] - keys.values
        np.testing.assert_allclose(
            d_left / (keys.frames - keys.left[:, 0]),
            d_right / (keys.right[:, 0] - keys.frames),
            atol=1e-12,
        )
    # Between frames the curve does not overshoot like a wild polynomial.
    keys = fit_curve(smooth, TOL)
    fine = evaluate(keys, np.linspace(0, 239, 2000))
    assert fine.max() < smooth.max() + 0.02 and fine.min() > smooth.min() - 0.02
    assert len(fit_curve(np.full(50, 0.3), TOL)) == 1
    assert len(fit_curve(np.linspace(0, 1, 50), TOL)) == 2
    assert len(fit_curve(np.zeros(1), TOL)) == 1
    with pytest.raises(ValueError, match="non-finite"):
        fit_curve(np.array([0.0, np.nan]), TOL)


@pytest.mark.parametrize("mode", ROTATION_MODES)
def test_every_rotation_mode_keeps_the_rotation_within_the_tolerance(mode: str) -> None:
    clip = demo_clip()
    for role in ("head", "forearm.R", "upper_arm.L", "chest"):
        mats = euler_to_matrix(clip[role].astype(np.float64), "XYZ")
        values = to_mode(mats, mode)
        keys = reduce_rotation(values, mode, TOL, first_frame=1.0)
        assert len(keys) == values.shape[1]
        frames = 1.0 + np.arange(len(values))
        keyed = np.stack([evaluate(k, frames) for k in keys], 1)
        assert angle_between(from_mode(keyed, mode), mats).max() <= TOL, role
        assert sum(len(k) for k in keys) < 0.3 * values.size, role


def test_demo_clip_key_count_drops_by_80_percent() -> None:
    summary = sparse_summary(demo_clip())
    assert summary.dense_keys == 240 * 19 * 3
    assert summary.reduction >= 0.8
    assert summary.max_rotation_error <= math.radians(0.5)
    assert summary.moving_sparse_keys < 0.3 * summary.moving_dense_keys  # not only still bones
    assert "max deviation" in summary.line()


def test_episodes_merge_consecutive_segments_of_one_behavior() -> None:
    segs = (
        Segment(0, 10, "idle", "breathe", "calm", 1.0, 10),
        Segment(10, 20, "idle", "breathe", "calm", 1.0, 10),
        Segment(20, 35, "laugh", "laugh_burst", "x", 1.0, 15),
        Segment(35, 40, "laugh", "laugh_settle", "x", 1.0, 5),
        Segment(40, 60, "idle", "breathe", "calm", 1.0, 20),
    )
    assert episode_ranges(Timeline(24.0, 60, segs)) == (
        Episode("idle", 0, 20),
        Episode("laugh", 20, 40),
        Episode("idle", 40, 60),
    )
