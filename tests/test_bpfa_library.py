"""The default library's content: gestures that do what they say, idle motion that never stops
and never repeats, transitions without pops."""

from __future__ import annotations

import json
from typing import Any

import humanoid_rigs as H
import numpy as np
import pytest

from moodrig.core.bpfa import (
    SyncConfig,
    behavior_track,
    default_library_path,
    joint_curves,
    load_default_library,
    parse_definition,
)
from moodrig.core.bpfa.model import Segment, Timeline
from moodrig.core.bpfa.motion import stack_curves
from moodrig.core.retarget import (
    RetargetConfig,
    canonical_rig,
    plan_retarget,
    pose_positions,
    retarget,
    world_deltas,
)
from moodrig.core.rig import BONE_ROLES
from moodrig.core.track import ExpressionTrack
from moodrig.weights_tools.bpfa_tracks import DEMO_CHARACTERS, demo_track

LIB = load_default_library()
CANON = canonical_rig()
FPS = 30.0


def play(action: str, frames: int = 60, planned: int | None = None) -> dict[str, np.ndarray]:
    """Curves of one action from rest (its first outcome, scale 1), on a still face."""
    o = LIB.actions[action].outcomes[0]
    seg = Segment(0, frames, "idle", action, o.name, 1.0, planned or frames)
    tl = Timeline(FPS, frames, (seg,))
    track = ExpressionTrack(
        FPS, np.zeros((frames, 8), np.float32), np.zeros((frames, 3), np.float32)
    )
    return joint_curves(tl, track, LIB, 0)


def joints(curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Role → (n, 3) head positions of the demo rig posed by ``curves``."""
    plan = plan_retarget(CANON, {r: r for r in BONE_ROLES}, RetargetConfig(plant_feet=False))
    heads, _ = pose_positions(CANON, world_deltas(plan, retarget(curves, plan)))
    return {r: heads[:, CANON.index(r)] for r in BONE_ROLES}


def test_arm_gestures_do_what_they_say() -> None:
    shoulder_z = CANON.heads[CANON.index("upper_arm.R")][2]
    # wave: the right wrist up beside the head, in front of the body plane, the hand waving.
    c = play("wave")
    j = joints(c)
    wrist = j["hand.R"][-1]
    assert wrist[2] > shoulder_z + 0.25 and wrist[1] < 0.0 and wrist[0] < -0.3
    assert np.ptp(c["hand.R"][20:, 2]) > 0.4  # the hand swings
    assert np.abs(j["hand.L"][-1] - j["hand.L"][0]).max() < 0.05  # the other arm stays down
    # cross_arms: both wrists in front of the chest, past the middle, at the height of the belly.
    j = joints(play("cross_arms"))
    left, right = j["hand.L"][-1], j["hand.R"][-1]
    assert left[0] < 0.0 < right[0]  # each hand on the other side
    assert left[1] < -0.12 and right[1] < -0.1
    assert 1.1 < left[2] < 1.35 and 1.1 < right[2] < 1.35
    # laugh: the left hand comes to the belly.
    j = joints(play("laugh_burst"))
    belly = j["hand.L"][-1]
    assert abs(belly[0]) < 0.1 and belly[1] < -0.12 and 1.1 < belly[2] < 1.3
    # shrug: shoulders up, forearms forward with open palms, back to rest at the end.
    c = play("shrug", 45, planned=36)
    j = joints(c)
    mid = 18
    for s in "LR":
        assert (
            j[f"hand.{s}"][mid][1] < -0.15 and j[f"hand.{s}"][mid][2] > j[f"hand.{s}"][0][2] + 0.1
        )
        assert j[f"forearm.{s}"][mid][2] > j[f"forearm.{s}"][0][2] + 0.01  # shoulders lift the arm
    assert np.abs(np.asarray([c[r][36:] for r in BONE_ROLES])).max() < 1e-6
    # lean_back: the body leans back, the hands flinch forward and up.
    j = joints(play("lean_back", 45))
    assert j["head"][-1][1] > j["head"][0][1] + 0.05
    for s in "LR":
        assert j[f"hand.{s}"][-1][1] < j[f"hand.{s}"][0][1] - 0.1
        assert j[f"hand.{s}"][-1][2] > j[f"hand.{s}"][0][2] + 0.05


def idle_curves(seconds: float = 40.0, seed: int = 0) -> np.ndarray:
    n = int(seconds * FPS)
    track = ExpressionTrack(FPS, np.zeros((n, 8), np.float32), np.zeros((n, 3), np.float32))
    return stack_curves(behavior_track(track, LIB, seed).curves)


def test_idle_never_stops_and_stays_below_the_gesture_threshold() -> None:
    x = idle_curves()
    assert np.abs(x).max() < SyncConfig().theta  # idle never reads as a gesture
    win = int(2 * FPS)
    for role in (
        "chest",
        "hips",
        "head",
        "upper_arm.L",
        "upper_arm.R",
        "forearm.L",
        "forearm.R",
        "hand.L",
        "hand.R",
    ):
        cols = x[:, 3 * BONE_ROLES.index(role) : 3 * BONE_ROLES.index(role) + 3]
        for t in range(0, len(x) - win, win):  # every 2 s, every one of these bones moves
            assert np.ptp(cols[t : t + win], axis=0).sum() > 1e-3, (role, t)
    # Weight shift: the hips turn and tilt while the spine leans the other way.
    hips_z, spine_z = (
        x[:, 3 * BONE_ROLES.index("hips") + 2],
        x[:, 3 * BONE_ROLES.index("spine") + 2],
    )
    assert np.ptp(hips_z) > 0.01 and np.corrcoef(hips_z, spine_z)[0, 1] < -0.5


def test_the_chest_is_not_a_plain_sinusoid() -> None:
    x = idle_curves(60.0)
    chest = x[:, 3 * BONE_ROLES.index("chest")]
    period = int(4.0 * FPS)  # the main breathing period
    a, b = chest[period : 5 * period], chest[2 * period : 6 * period]
    assert np.corrcoef(a, b)[0, 1] < 0.95  # one breath is not a copy of the last
    spectrum = np.abs(np.fft.rfft(chest - chest.mean()))
    peaks = np.sort(spectrum)[::-1]
    assert peaks[3] > 0.1 * peaks[0]  # more than one frequency carries the motion
    other = idle_curves(60.0, seed=1)[:, 3 * BONE_ROLES.index("chest")]
    assert np.abs(other - chest).max() > 1e-3  # the sway is drawn from the seed


def boundary_and_interior(
    curves: dict[str, np.ndarray], starts: list[int], fps: float
) -> tuple[float, float, float]:
    """(largest speed, largest acceleration near segment starts, largest elsewhere) in rad/s
    and rad/s² over all channels."""
    x = stack_curves(curves).astype(np.float64)
    v = np.diff(x, axis=0) * fps
    acc = np.abs(np.diff(v, axis=0)) * fps
    near = np.zeros(len(acc), dtype=bool)
    for s in starts:
        near[max(0, s - 3) : s + 2] = True
    return float(np.abs(v).max()), float(acc[near].max()), float(acc[~near].max())


@pytest.mark.parametrize("character", DEMO_CHARACTERS, ids=[c.name for c in DEMO_CHARACTERS])
def test_transitions_have_no_pops(character: Any) -> None:
    """At every segment start the motion is no sharper than inside the gestures: speed under
    10 rad/s, acceleration under twice the largest the gestures reach between starts."""
    tr = demo_track(character, 40.0, 3)
    for seed in range(2):
        res = behavior_track(tr, LIB, seed)
        starts = [s.start_frame for s in res.timeline.segments[1:]]
        speed, at_start, inside = boundary_and_interior(res.curves, starts, tr.fps)
        assert speed < 10.0, (seed, speed)
        assert at_start < 2.0 * inside, (seed, at_start, inside)


def test_the_pop_check_catches_hard_cuts() -> None:
    raw = json.loads(default_library_path().read_text())
    for b in raw["behaviors"].values():
        b["blend"] = 0.01  # one frame: every transition jumps
    cut, _ = parse_definition(raw)
    tr = demo_track(DEMO_CHARACTERS[0], 40.0, 3)
    res = behavior_track(tr, cut, 0)
    starts = [s.start_frame for s in res.timeline.segments[1:]]
    speed, at_start, inside = boundary_and_interior(res.curves, starts, tr.fps)
    assert speed > 10.0 or at_start > 2.0 * inside


def test_library_arms_reach_the_same_place_on_a_t_pose_rig() -> None:
    """The wave on a Mixamo-like T-pose rig with rolled bones lifts the hand as on the demo rig."""
    rig = H.quarter_rolls(H.mixamo("mixamorig:", 0.0))
    rest = rig.rest()
    c = play("wave")
    plan = plan_retarget(rest, rig.expected)
    heads, _ = pose_positions(rest, world_deltas(plan, retarget(c, plan)))
    wrist = heads[-1, rest.index(rig.expected["hand.R"])]
    np.testing.assert_allclose(wrist, joints(c)["hand.R"][-1], atol=1e-6)
