"""Canonical motion on any rig: same look on every rig, raise arm, head turn, planted feet,
rest-pose correction, every rotation mode, and the way back from keyed values."""

from __future__ import annotations

import math
from pathlib import Path

import humanoid_rigs as H
import numpy as np
import pytest

from moodrig.core.bonemap import auto_map
from moodrig.core.bpfa import behavior_track, load_default_library
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.retarget import (
    RestRig,
    RetargetConfig,
    canonical_curves,
    canonical_rig,
    character_frame,
    detect_rest_pose,
    plan_retarget,
    pose_positions,
    rest_rig,
    retarget,
    retarget_values,
    world_deltas,
)
from moodrig.core.rig import BONE_ROLES
from moodrig.core.rotation import (
    ROTATION_MODES,
    angle_between,
    axis_angle_matrix,
    from_mode,
    matrix_to_euler,
    to_mode,
)

CLIP = behavior_track(scripted_track(24.0, 10.0), load_default_library(), seed=0).curves
N = len(CLIP["head"])


def still(**roles: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Curves holding rest, except the given roles at the given Euler XYZ (ramped in)."""
    ramp = np.linspace(0.0, 1.0, 10)[:, None]
    out = {r: np.zeros((10, 3)) for r in BONE_ROLES}
    for r, v in roles.items():
        out[r.replace("__", ".")] = ramp * np.asarray(v)
    return out


def rigs() -> list[H.TestRig]:
    return [
        H.demo(),
        H.quarter_rolls(H.mixamo("mixamorig:", 0.0)),
        H.random_rolls(H.unreal(0.0), 1),
        H.random_rolls(H.vrm(30.0), 2),
        H.random_rolls(H.metarig(50.0), 3),
        H.random_rolls(H.biped(0.0), 4),
        H.random_rolls(H.plain("camel", 10.0), 5),
    ]


RIGS = rigs()


def forward_raise(side: str, angle: float = 1.2) -> np.ndarray:
    """Canonical Euler XYZ of the upper arm raised forward by ``angle`` (about the world −X)."""
    canon = canonical_rig()
    b = canon.rest[canon.index(f"upper_arm.{side}")]
    return matrix_to_euler((b.T @ axis_angle_matrix([-1.0, 0, 0], angle) @ b)[None], "XYZ")[0]


IDS = [r.name for r in RIGS]


def pose(
    rig: RestRig,
    plan_map: dict[str, str],
    curves: dict[str, np.ndarray],
    config: RetargetConfig | None = None,
) -> tuple[np.ndarray, np.ndarray, object]:
    plan = plan_retarget(rig, plan_map, config)
    local = retarget(curves, plan)
    heads, tails = pose_positions(rig, world_deltas(plan, local))
    return heads, tails, plan


def joint(rig: RestRig, heads: np.ndarray, bone: str) -> np.ndarray:
    return heads[:, rig.index(bone)]


SEGMENTS = [
    ("hips", "spine"),
    ("spine", "chest"),
    ("chest", "neck"),
    ("neck", "head"),
    *(
        (f"{a}.{s}", f"{b}.{s}")
        for s in "LR"
        for a, b in (
            ("shoulder", "upper_arm"),
            ("upper_arm", "forearm"),
            ("forearm", "hand"),
            ("thigh", "shin"),
            ("shin", "foot"),
        )
    ),
]


def _angle_deg(dc: np.ndarray, dt: np.ndarray) -> float:
    cos = np.sum(dc * dt, 1) / np.linalg.norm(dc, axis=1) / np.linalg.norm(dt, axis=1)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))).max())


def worst_direction_error(rig: H.TestRig, rest: RestRig) -> float:
    """Largest angle (degrees) between a segment of the demo clip on ``rest`` and on the demo
    rig: joint to joint, and the hand bones themselves (no joint below them)."""
    canon = canonical_rig()
    ch, tc, _ = pose(canon, {r: r for r in BONE_ROLES}, CLIP)
    th, tt, _ = pose(rest, rig.expected, CLIP)
    worst = 0.0
    for a, b in SEGMENTS:
        if rig.name == "biped" and a.startswith(("thigh", "shin")):
            continue  # Biped hangs the thighs on the spine: its legs counter the spine's bend
        if a in rig.expected and b in rig.expected:
            dc = joint(canon, ch, b) - joint(canon, ch, a)
            dt = joint(rest, th, rig.expected[b]) - joint(rest, th, rig.expected[a])
            worst = max(worst, _angle_deg(dc, dt))
    for s in "LR":
        if f"hand.{s}" in rig.expected:
            i, k = canon.index(f"hand.{s}"), rest.index(rig.expected[f"hand.{s}"])
            worst = max(worst, _angle_deg(tc[:, i] - ch[:, i], tt[:, k] - th[:, k]))
    return worst


@pytest.mark.parametrize("rig", RIGS, ids=IDS)
def test_same_look_on_every_rig(rig: H.TestRig) -> None:
    """Every segment of the demo clip points the same way as on the demo rig."""
    assert worst_direction_error(rig, rig.rest()) < 0.05


def test_bones_that_do_not_inherit_rotation() -> None:
    """``use_inherit_rotation`` off on the head, a forearm and a thigh: the same look, planted
    feet, and the values read back."""
    rig = H.random_rolls(H.mixamo("", 0.0), 3)
    off = {"Head", "LeftForeArm", "RightUpLeg"}
    rest = rest_rig(
        rig.names,
        rig.parents,
        rig.heads,
        rig.tails,
        rolls=rig.rolls,
        inherit_rotation=[n not in off for n in rig.names],
    )
    assert worst_direction_error(rig, rest) < 0.05
    plan = plan_retarget(rest, rig.expected)
    modes = dict.fromkeys(rig.expected.values(), "QUATERNION")
    back = canonical_curves(retarget_values(CLIP, plan, modes), plan, modes)
    for role in ("head", "chest", "forearm.L", "hand.L"):
        np.testing.assert_allclose(back[role], CLIP[role], atol=2e-5, err_msg=role)


@pytest.mark.parametrize("rig", RIGS, ids=IDS)
def test_raise_arm_lifts_the_hand_and_head_turn_follows_yaw(rig: H.TestRig) -> None:
    rest = rig.rest()
    for side in "LR":
        heads, _, plan = pose(
            rest, rig.expected, still(**{f"upper_arm__{side}": forward_raise(side)})
        )
        hand = joint(rest, heads, rig.expected[f"hand.{side}"])
        assert hand[-1, 2] - hand[0, 2] > 0.15, (side, hand[-1] - hand[0])  # up by > 15 cm
        assert hand[-1, 1] - hand[0, 1] < -0.15  # and forward (−Y), not backward
    for yaw in (0.5, -0.5):
        _, _, plan = pose(rest, rig.expected, still(head=(0, yaw, 0)))
        local = retarget(still(head=(0, yaw, 0)), plan)
        d = world_deltas(plan, local)[rig.expected["head"]][-1]
        face = d @ np.array([0.0, -1.0, 0.0])  # the character faces −Y
        assert np.sign(face[0]) == np.sign(yaw) and abs(face[0]) > 0.4  # + yaw: toward +X (left)


def test_head_turn_sign_matches_the_tracked_yaw_in_the_library() -> None:
    """The library's look behavior on a rotated-roll rig: a positive head yaw turns the face
    toward the character's left."""
    rig = H.random_rolls(H.mixamo("", 0.0), 9)
    rest = rig.rest()
    plan = plan_retarget(rest, rig.expected)
    d = world_deltas(plan, retarget(CLIP, plan))[rig.expected["head"]]
    face_x = (d @ np.array([0.0, -1.0, 0.0]))[:, 0]
    tr = scripted_track(24.0, 10.0)
    yaw = tr.head[:, 0]
    turned = np.abs(yaw) > 25
    assert turned.sum() > 20
    assert np.all(np.sign(face_x[turned]) == np.sign(yaw[turned]))


@pytest.mark.parametrize("rig", RIGS, ids=IDS)
def test_feet_stay_planted_while_the_hips_move(rig: H.TestRig) -> None:
    rest = rig.rest()
    feet = [rig.expected[f"foot.{s}"] for s in "LR"]
    # Hips yaw and pitch (and a whole upper body moving): both feet stay.
    heads, tails, _ = pose(
        rest, rig.expected, still(hips=(0.12, 0.15, 0.0), chest=(0.2, 0.1, 0.1), neck=(0.1, 0, 0.1))
    )
    # Straight rest legs cannot reach a thigh head moved sideways: the shortfall is
    # δ²/2L, 0.13 mm for the 15 mm the hips yaw moves it here.
    for f in feet:
        assert np.abs(joint(rest, heads, f) - joint(rest, heads, f)[0]).max() < 2e-4
        assert np.abs(tails[:, rest.index(f)] - tails[0, rest.index(f)]).max() < 2e-4
    # Without planting, the same hips swing the feet by centimetres.
    loose, _, _ = pose(
        rest, rig.expected, still(hips=(0.12, 0.15, 0.0)), RetargetConfig(plant_feet=False)
    )
    assert max(np.abs(joint(rest, loose, f) - joint(rest, loose, f)[0]).max() for f in feet) > 0.01
    # A sideways hip tilt lifts one thigh: that foot rises by at most the lift, the other stays.
    tilt = 0.03
    heads, _, _ = pose(rest, rig.expected, still(hips=(0, 0, tilt)))
    moved = sorted(
        float(np.abs(joint(rest, heads, f) - joint(rest, heads, f)[0]).max()) for f in feet
    )
    assert moved[0] < 1e-6 and moved[1] < 0.12 * math.sin(tilt) + 1e-6
    # A behavior that moves a leg moves its foot as on the demo rig.
    canon = canonical_rig()
    kick = still(thigh__L=(0.3, 0, 0))
    ch, _, _ = pose(canon, {r: r for r in BONE_ROLES}, kick)
    th, _, _ = pose(rest, rig.expected, kick)
    moved_c = joint(canon, ch, "foot.L")[-1] - joint(canon, ch, "foot.L")[0]
    moved_t = (
        joint(rest, th, rig.expected["foot.L"])[-1] - joint(rest, th, rig.expected["foot.L"])[0]
    )
    np.testing.assert_allclose(moved_t, moved_c, atol=1e-6)


def test_demo_clip_feet_on_every_rig() -> None:
    for rig in RIGS:
        if rig.name == "biped":
            continue  # thighs hang on the spine: bending it moves the hip joints themselves
        rest = rig.rest()
        heads, _, _ = pose(rest, rig.expected, CLIP)
        for s in "LR":
            f = joint(rest, heads, rig.expected[f"foot.{s}"])
            assert np.abs(f - rest.heads[rest.index(rig.expected[f"foot.{s}"])]).max() < 0.003, (
                rig.name
            )


def test_rest_pose_is_detected_and_can_be_overridden() -> None:
    for rig, kind, deg in (
        (H.demo(), "a-pose", 50),
        (H.mixamo(), "t-pose", 0),
        (H.vrm(30.0), "a-pose", 30),
        (H.unreal(-60.0), "other", -60),
    ):
        rest = rig.rest()
        got = detect_rest_pose(rest, rig.expected)
        assert got.kind == kind and got.arm_angle_deg["L"] == pytest.approx(deg, abs=1e-6)
        assert got.arm_angle_deg["R"] == pytest.approx(deg, abs=1e-6)
    assert detect_rest_pose(H.demo().rest(), {"head": "head"}).kind == "unknown"
    rig = H.quarter_rolls(H.mixamo("", 0.0))
    rest = rig.rest()
    zero = still()
    hand = rig.expected["hand.L"]
    # auto: at rest the T-pose arms are brought down to the canonical 50°.
    heads, tails, plan = pose(rest, rig.expected, zero)
    assert plan.rest_pose.kind == "t-pose"
    d = tails[0, rest.index(hand)] - heads[0, rest.index(hand)]
    assert math.degrees(math.atan2(-d[2], d[0])) == pytest.approx(50.0, abs=1e-6)
    # keep / a-pose: the rig keeps its own rest.
    for mode in ("keep", "a-pose"):
        heads, tails, _ = pose(rest, rig.expected, zero, RetargetConfig(rest_pose=mode))
        np.testing.assert_allclose(heads[0], rest.heads, atol=1e-12)
    # t-pose: lowers by 50° whatever the bones say (here a rig whose arms are at 20°).
    rig20 = H.quarter_rolls(H.mixamo("", 20.0))
    heads, tails, _ = pose(rig20.rest(), rig20.expected, zero, RetargetConfig(rest_pose="t-pose"))
    r20 = rig20.rest()
    d = tails[0, r20.index(hand)] - heads[0, r20.index(hand)]
    assert math.degrees(math.atan2(-d[2], d[0])) == pytest.approx(70.0, abs=1e-6)
    with pytest.raises(ValueError, match="unknown rest pose"):
        plan_retarget(rest, rig.expected, RetargetConfig(rest_pose="x-pose"))


@pytest.mark.parametrize("rig", RIGS, ids=IDS)
def test_every_rotation_mode_and_the_way_back(rig: H.TestRig) -> None:
    rest = rig.rest()
    plan = plan_retarget(rest, rig.expected)
    bones = sorted(rig.expected.values())
    modes = {b: ROTATION_MODES[i % len(ROTATION_MODES)] for i, b in enumerate(bones)}
    values = retarget_values(CLIP, plan, modes)
    local = retarget(CLIP, plan)
    for b, v in values.items():
        assert v.shape == (N, 4 if modes[b] in ("QUATERNION", "AXIS_ANGLE") else 3)
        assert angle_between(from_mode(v, modes[b]), local[b]).max() < 1e-9
        smooth = v[:, :1] * v[:, 1:] if modes[b] == "AXIS_ANGLE" else v  # axis free at rest
        # No sign flips or 2π wraps (Euler angles may still run fast near gimbal lock).
        step = 0.25 if modes[b] == "QUATERNION" else 2.0
        assert np.abs(np.diff(smooth, axis=0)).max() < step, (b, modes[b])
    back = canonical_curves(values, plan, modes)
    assert set(back) == set(rig.expected)
    for role, c in back.items():
        if role.startswith(("thigh", "shin", "foot")):
            continue  # solved legs read back as solved
        np.testing.assert_allclose(c, CLIP[role], atol=2e-5, err_msg=role)


def test_identity_on_the_demo_rig() -> None:
    canon = canonical_rig()
    plan = plan_retarget(canon, {r: r for r in BONE_ROLES}, RetargetConfig(plant_feet=False))
    assert np.array_equal(plan.frame, np.eye(3)) and plan.rest_pose.kind == "a-pose"
    values = retarget_values(CLIP, plan, dict.fromkeys(BONE_ROLES, "XYZ"))
    for r in BONE_ROLES:
        np.testing.assert_allclose(values[r], CLIP[r], atol=1e-6)


def test_missing_roles_are_absorbed_by_the_bones_below() -> None:
    """A rig without neck or shoulders: the head and arms still end up where the demo's are."""
    rig = H.six_bones()
    rest = rig.rest()
    _heads, tails, plan = pose(rest, rig.expected, still(neck=(0, 0.4, 0), head=(0.1, 0.3, 0)))
    canon = canonical_rig()
    _, ct, _ = pose(canon, {r: r for r in BONE_ROLES}, still(neck=(0, 0.4, 0), head=(0.1, 0.3, 0)))
    dc = ct[-1, canon.index("head")] - ct[0, canon.index("head")]
    dt = tails[-1, rest.index("Head")] - tails[0, rest.index("Head")]
    np.testing.assert_allclose(dt, dc, atol=1e-9)
    back = canonical_curves(
        retarget_values(
            still(neck=(0, 0.4, 0), head=(0.1, 0.3, 0)),
            plan,
            dict.fromkeys(rig.expected.values(), "QUATERNION"),
        ),
        plan,
        dict.fromkeys(rig.expected.values(), "QUATERNION"),
    )
    assert "neck" not in back and abs(float(back["head"][-1, 1])) > 0.6  # the neck's turn too


def test_a_y_up_armature_is_detected() -> None:
    """Armature space with Y up (an FBX import under a rotated object): the motion turns with it."""
    rig = H.quarter_rolls(H.mixamo("mixamorig:", 0.0))
    turn = axis_angle_matrix([1.0, 0.0, 0.0], math.pi / 2)  # Z up → Y up, front −Y → −Z
    heads = np.asarray(rig.heads) @ turn.T
    tails = np.asarray(rig.tails) @ turn.T
    up = rest_rig(rig.names, rig.parents, heads, tails, rolls=rig.rolls)
    frame = character_frame(up, rig.expected)
    np.testing.assert_allclose(frame, turn, atol=1e-12)
    h_up, _, _ = pose(up, rig.expected, CLIP)
    rest = rig.rest()
    h_z, _, _ = pose(rest, rig.expected, CLIP)
    np.testing.assert_allclose(h_up, h_z @ turn.T, atol=1e-9)


def test_auto_map_then_retarget_the_knight(shared_data: Path) -> None:
    rig = H.gltf_rig(shared_data / "characters" / "kaykit_knight" / "Knight.glb")
    rest = rig.rest()
    rep = auto_map(rig.names, rig.parents, rig.heads)
    plan = plan_retarget(rest, rep.bone_map)
    assert plan.rest_pose.kind == "t-pose"
    np.testing.assert_allclose(plan.frame, np.eye(3), atol=1e-12)
    heads, _tails = pose_positions(rest, world_deltas(plan, retarget(CLIP, plan)))
    for s in "lr":
        f = rest.index(f"foot.{s}")
        assert np.abs(heads[:, f] - rest.heads[f]).max() < 0.003
    raise_r = still(upper_arm__R=(0.8, 0, 0))
    heads, _ = pose_positions(rest, world_deltas(plan, retarget(raise_r, plan)))
    hand = heads[:, rest.index("wrist.r")]
    assert hand[-1, 2] - hand[0, 2] > 0.05
    values = retarget_values(CLIP, plan, dict.fromkeys(rep.bone_map.values(), "QUATERNION"))
    assert all(np.isfinite(v).all() for v in values.values())


def test_plan_refuses_maps_that_do_not_fit() -> None:
    rest = H.demo().rest()
    with pytest.raises(ValueError, match="unknown bone role"):
        plan_retarget(rest, {"tail": "head"})
    with pytest.raises(ValueError, match="no bone 'Head'"):
        plan_retarget(rest, {"head": "Head"})
    with pytest.raises(ValueError, match="more than one role"):
        plan_retarget(rest, {"head": "head", "neck": "head"})
    with pytest.raises(ValueError, match="no rotation mode"):
        retarget_values(CLIP, plan_retarget(rest, {"head": "head"}), {})


def test_values_continue_from_a_previous_key() -> None:
    mats = axis_angle_matrix(np.tile([0.0, 0.0, 1.0], (5, 1)), np.linspace(3.0, 3.3, 5))
    e = to_mode(mats, "XYZ", previous=np.array([0.0, 0.0, 3.0]))
    assert e[0, 2] == pytest.approx(3.0) and e[-1, 2] == pytest.approx(3.3)
