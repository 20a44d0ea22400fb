"""Joint mapping: every role, limits for any head angle, no pops, Table 2 interpolation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.bpfa import (
    JOINT_LIMITS,
    SyncConfig,
    behavior_track,
    example_user_path,
    joint_curves,
    load_default_library,
    load_definition,
    sample_timeline,
)
from moodrig.core.bpfa.model import Segment, Timeline
from moodrig.core.bpfa.motion import channel_values
from moodrig.core.rig import BONE_ROLES
from moodrig.core.track import ExpressionTrack
from moodrig.weights_tools.bpfa_tracks import DEMO_CHARACTERS, demo_track

LIB = load_default_library()


def yaw_track(yaw: np.ndarray, fps: float = 30.0) -> ExpressionTrack:
    n = len(yaw)
    head = np.zeros((n, 3), dtype=np.float32)
    head[:, 0] = yaw
    return ExpressionTrack(fps, np.zeros((n, 8), dtype=np.float32), head)


def test_every_role_present_float32_and_rest_where_unused() -> None:
    tr = demo_track(DEMO_CHARACTERS[0], 20.0, 1)
    res = behavior_track(tr, LIB, seed=3)
    assert set(res.curves) == set(BONE_ROLES)
    for role, c in res.curves.items():
        assert c.shape == (len(tr), 3) and c.dtype == np.float32, role
        assert np.all(np.isfinite(c))
    for role in ("thigh.L", "shin.R", "foot.L"):
        assert not res.curves[role].any()
    # The hips only shift the weight while idle: never as much as a visible gesture.
    assert 0 < np.abs(res.curves["hips"]).max() < SyncConfig().theta


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-90.0, 90.0), min_size=2, max_size=8),
    st.integers(0, 2**31 - 1),
    st.sampled_from(
        ["look", "head_shake", "cross_arms", "lean_back", "shrug", "laugh", "smile_gesture"]
    ),
)
def test_joint_angles_stay_within_limits_for_any_expression_angle(
    knots: list[float], seed: int, behavior: str
) -> None:
    n = 120
    yaw = np.interp(np.linspace(0, len(knots) - 1, n), np.arange(len(knots)), knots).astype(
        np.float32
    )
    tr = yaw_track(yaw)
    # Exaggerate: every channel of every action at 2x scale, starting at frame 0.
    body = next(b.body for b in LIB.automaton.behaviors if b.id == behavior)
    actions = [a for a in LIB.actions if a == body] or list(LIB.actions)
    segs = []
    t = 0
    for i, a in enumerate(actions):
        end = n if i == len(actions) - 1 else min(n - 1, t + 15)
        if end <= t:
            break
        segs.append(Segment(t, end, behavior, a, "x", 2.0, 30))
        t = end
    curves = joint_curves(Timeline(30.0, n, tuple(segs)), tr, LIB, seed)
    for role, c in curves.items():
        lim = JOINT_LIMITS[role].astype(np.float32)
        assert np.all(c >= lim[:, 0] - 1e-6) and np.all(c <= lim[:, 1] + 1e-6), role


def test_head_yaw_table_is_interpolated_like_table_2() -> None:
    look = LIB.motions["look"].channels[0]
    assert look.role == "head" and look.source == "yaw"
    frames = np.arange(0, 31, dtype=np.int64)
    for deg, start, end in (
        (25.0, (math.pi / 9 + math.pi / 6) / 2, (math.pi / 6 + 2 * math.pi / 9) / 2),
        (-40.0, 2 * math.pi / 9, 5 * math.pi / 18),
    ):
        v = channel_values(look, frames, 0, 30, np.full(31, deg), 30.0, 1.0, 0, (0.0, 0.0))
        sign = math.copysign(1.0, deg)
        assert v[0] == pytest.approx(sign * look.gain * start)
        assert v[-1] == pytest.approx(sign * look.gain * end)


def test_look_follows_the_side_of_the_head_turn() -> None:
    n = 200
    yaw = np.zeros(n, dtype=np.float32)
    yaw[40:120] = 30.0
    yaw[140:190] = -30.0
    res = behavior_track(yaw_track(yaw), LIB, seed=0)
    head_y = res.curves["head"][:, 1]
    assert head_y[100] > 0.3 and head_y[175] < -0.3
    assert abs(head_y[5]) < 1e-6


@pytest.mark.parametrize("character", DEMO_CHARACTERS, ids=[c.name for c in DEMO_CHARACTERS])
def test_no_pops_anywhere(character: object) -> None:
    tr = demo_track(character, 30.0, 2)  # type: ignore[arg-type]
    for seed in range(3):
        res = behavior_track(tr, LIB, seed)
        step = max(float(np.abs(np.diff(c, axis=0)).max()) for c in res.curves.values())
        # Largest per-frame change: crossing the arms (≈1.6 rad) over a 0.3 s smoothstep blend
        # peaks at 1.5·1.6/(0.3·fps) rad/frame; allow 20% for jitter and oscillation on top.
        assert step < 1.2 * 1.5 * 1.65 / (0.3 * tr.fps), (character, seed, step)


def test_curves_are_deterministic_and_seed_varies_them() -> None:
    tr = demo_track(DEMO_CHARACTERS[2], 20.0, 0)
    a = behavior_track(tr, LIB, 11).curves
    b = behavior_track(tr, LIB, 11).curves
    c = behavior_track(tr, LIB, 12).curves
    assert all(np.array_equal(a[r], b[r]) for r in BONE_ROLES)
    assert any(not np.array_equal(a[r], c[r]) for r in BONE_ROLES)


def test_blend_is_continuous_when_a_behavior_is_cut() -> None:
    tr = yaw_track(np.zeros(90, dtype=np.float32))
    tl = sample_timeline(LIB, [], 90, 30.0, 0)
    # Hand-made cut: cross arms from 0, cut at 20 by a shrug.
    segs = (
        Segment(0, 20, "cross_arms", "cross_arms", "hold", 1.0, 180),
        Segment(20, 90, "shrug", "shrug", "once", 1.0, 36),
    )
    curves = joint_curves(Timeline(30.0, 90, segs), tr, LIB, 0)
    fa = curves["forearm.R"][:, 2]
    assert abs(float(fa[20] - fa[19])) < 0.2  # no jump at the cut
    assert abs(float(fa[-1])) < 1e-6  # shrug does not move the forearm's Z: it returns to rest
    assert tl.n_frames == 90


def test_user_example_runs_end_to_end() -> None:
    user = load_definition(example_user_path())
    res = behavior_track(demo_track(DEMO_CHARACTERS[0], 10.0, 0), user, 0)
    assert {s.behavior for s in res.timeline.segments} <= {"idle", "embarrassed", "fidget"}
    assert "embarrassed" in {s.behavior for s in res.timeline.segments}  # scripted cue at 2 s


def _with_channel(**changes: object) -> object:
    """The default library with its first motion's first channel changed (no loader checks)."""
    import dataclasses

    mid, motion = next(iter(LIB.motions.items()))
    ch = dataclasses.replace(motion.channels[0], **changes)  # type: ignore[arg-type]
    changed = dataclasses.replace(motion, channels=(ch, *motion.channels[1:]))
    return mid, dataclasses.replace(LIB, motions={**LIB.motions, mid: changed})


def test_a_motion_that_gives_nan_is_refused_not_keyed() -> None:
    """cycles = 1e308 makes sin(inf) = NaN (the loader refuses it in files; a programmatic
    definition must still never produce NaN keyframes)."""
    from moodrig.core.errors import DefinitionError

    mid, lib = _with_channel(cycles=1e308, shape="oscillate")
    tr = demo_track(DEMO_CHARACTERS[0], 30.0, 1)
    users = {a.id for a in LIB.actions.values() if a.motion == mid}
    tl = sample_timeline(lib, [], len(tr), tr.fps, 0)  # type: ignore[arg-type]
    if not users & {s.action for s in tl.segments}:
        pytest.skip("the seed never plays that motion")
    with (
        pytest.raises(DefinitionError, match=r"non-finite rotation") as info,
        np.errstate(invalid="ignore"),
    ):
        joint_curves(tl, tr, lib, 0)  # type: ignore[arg-type]
    assert info.value.where == f"$.motions.{mid}"


def test_check_curves_refuses_nan_inf_and_impossible_angles() -> None:
    from moodrig.core.bpfa.motion import check_curves
    from moodrig.core.errors import DefinitionError

    good = {r: np.zeros((5, 3), np.float32) for r in BONE_ROLES}
    check_curves(good, "lib.json")
    for bad_value in (np.nan, np.inf, -np.inf, 7.0):
        bad = {**good, "head": good["head"].copy()}
        bad["head"][3, 1] = bad_value
        with pytest.raises(DefinitionError, match=r"head\.y at frame 3") as info:
            check_curves(bad, "lib.json")
        assert str(info.value).startswith("lib.json")
    with pytest.raises(DefinitionError, match="known bone role"):
        check_curves({"tail": np.zeros((5, 3))})
